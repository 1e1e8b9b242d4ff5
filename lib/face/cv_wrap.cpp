// The only file of the face module that sees OpenCV. Each extern "C"
// function wraps its body in try/catch so that no C++ exception reaches the
// C side; errors become a status and a message.
#include "hotspot/common.h"
#include "internal/face_cv.h"

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <new>
#include <string>
#include <vector>

struct hs__face_cv {
    cv::Ptr<cv::FaceDetectorYN> yunet;
    cv::CascadeClassifier cascade;
    bool use_yunet = false;
    cv::dnn::Net net;
    bool has_net = false;
    uint32_t dim = 0;
};

namespace {

void set_msg(char *msg, size_t len, const std::string &s)
{
    if (!msg || !len)
        return;
    // OpenCV messages span lines and name source files; keep the first line.
    std::string t = s.substr(0, s.find('\n'));
    std::snprintf(msg, len, "%s", t.c_str());
}

bool readable(const char *path)
{
    std::FILE *f = std::fopen(path, "rb");
    if (!f)
        return false;
    std::fclose(f);
    return true;
}

bool slurp(const char *path, std::vector<char> &out)
{
    std::ifstream f(path, std::ios::binary);
    if (!f)
        return false;
    out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    return true;
}

// Landmarks estimated from a Haar box: mean positions of the five points in
// frontalface_default boxes (eyes at 30%/70% across and 38% down, nose tip at
// 57%, mouth corners at 35%/65% and 77%).
void haar_landmarks(const cv::Rect &r, float *row)
{
    static const float rel[10] = {0.30f, 0.38f, 0.70f, 0.38f, 0.50f,
                                  0.57f, 0.35f, 0.77f, 0.65f, 0.77f};
    row[0] = (float)r.x;
    row[1] = (float)r.y;
    row[2] = (float)r.width;
    row[3] = (float)r.height;
    for (int i = 0; i < 5; i++) {
        row[4 + 2 * i] = r.x + rel[2 * i] * r.width;
        row[5 + 2 * i] = r.y + rel[2 * i + 1] * r.height;
    }
    row[14] = 1.0f;
}

// OpenCV 4.6's FaceDetectorYN loads from a path only: a detector given in
// memory goes through a private temporary file (mkstemps: mode 0600, unique
// name, .onnx suffix), removed as soon as the detector is built.
cv::Ptr<cv::FaceDetectorYN> yunet_from_memory(const void *data, size_t size, std::string &err)
{
    const char *dir = std::getenv("TMPDIR");
    std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/hotspot-yunet-XXXXXX.onnx";
    std::vector<char> name(tmpl.begin(), tmpl.end());
    name.push_back('\0');
    // The suffix matters: readNet() picks the importer from the extension.
    int fd = mkstemps(name.data(), 5);
    if (fd < 0) {
        err = "cannot create a temporary file for the in-memory detector";
        return cv::Ptr<cv::FaceDetectorYN>();
    }
    const char *p = static_cast<const char *>(data);
    size_t left = size;
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n <= 0)
            break;
        p += n;
        left -= (size_t)n;
    }
    close(fd);
    cv::Ptr<cv::FaceDetectorYN> det;
    if (left) {
        err = "cannot write the in-memory detector to a temporary file";
    } else {
        try {
            det = cv::FaceDetectorYN::create(name.data(), "", cv::Size(320, 320), 0.6f, 0.3f,
                                             5000);
        } catch (...) {
            unlink(name.data());
            throw;
        }
    }
    unlink(name.data());
    return det;
}

int load_net(hs__face_cv *cv, const hs__face_cv_opts *o, char *msg, size_t msglen)
{
    if (o->net_format == 1) {
        if (o->net_data)
            cv->net = cv::dnn::readNetFromONNX(static_cast<const char *>(o->net_data),
                                               o->net_size);
        else
            cv->net = cv::dnn::readNetFromONNX(o->net_path);
    } else {
        std::vector<char> cfg, model;
        if (o->cfg_data)
            cfg.assign(static_cast<const char *>(o->cfg_data),
                       static_cast<const char *>(o->cfg_data) + o->cfg_size);
        else if (!o->cfg_path || !slurp(o->cfg_path, cfg)) {
            set_msg(msg, msglen, std::string("cannot read Caffe prototxt ") +
                                     (o->cfg_path ? o->cfg_path : "(none given)"));
            return HS_ERR_MODEL;
        }
        if (o->net_data)
            model.assign(static_cast<const char *>(o->net_data),
                         static_cast<const char *>(o->net_data) + o->net_size);
        else if (!slurp(o->net_path, model)) {
            set_msg(msg, msglen, std::string("cannot read Caffe model ") + o->net_path);
            return HS_ERR_MODEL;
        }
        cv->net = cv::dnn::readNetFromCaffe(cfg.data(), cfg.size(), model.data(), model.size());
    }
    if (cv->net.empty()) {
        set_msg(msg, msglen, "embedding net is empty after loading");
        return HS_ERR_MODEL;
    }
    // Probe the output shape with a blank crop.
    int sz = o->input_size;
    cv::Mat blank(sz, sz, CV_8UC3, cv::Scalar(128, 128, 128));
    cv::Mat blob = cv::dnn::blobFromImage(blank, 1.0 / 128, cv::Size(sz, sz),
                                          cv::Scalar(127.5, 127.5, 127.5), false, false);
    cv->net.setInput(blob);
    cv::Mat out = cv->net.forward();
    size_t n = out.total();
    if (out.depth() != CV_32F || n < 2 || n > 4096 || (out.dims >= 1 && out.size[0] != 1)) {
        set_msg(msg, msglen, "embedding net output is not one vector of 2..4096 floats (got " +
                                 std::to_string(n) + " values)");
        return HS_ERR_MODEL;
    }
    cv->dim = static_cast<uint32_t>(n);
    cv->has_net = true;
    return HS_OK;
}

} // namespace

extern "C" int hs__face_cv_new(hs__face_cv **out, const hs__face_cv_opts *o, uint32_t *dim,
                               char *msg, size_t msglen)
{
    *out = nullptr;
    *dim = 0;
    hs__face_cv *cv = new (std::nothrow) hs__face_cv;
    if (!cv)
        return HS_ERR_NOMEM;
    const char *stage = "detector";
    try {
        if (o->det_data) {
            std::string err;
            cv->yunet = yunet_from_memory(o->det_data, o->det_size, err);
            if (!cv->yunet) {
                set_msg(msg, msglen, err.empty() ? "detector could not be created" : err);
                delete cv;
                return HS_ERR_MODEL;
            }
            cv::Mat blank(320, 320, CV_8UC3, cv::Scalar(0, 0, 0)), faces;
            cv->yunet->detect(blank, faces);
            cv->use_yunet = true;
        } else if (o->det_path) {
            if (!readable(o->det_path)) {
                set_msg(msg, msglen, std::string("cannot open detector model ") + o->det_path);
                delete cv;
                return HS_ERR_MODEL;
            }
            cv->yunet = cv::FaceDetectorYN::create(o->det_path, "", cv::Size(320, 320), 0.6f,
                                                   0.3f, 5000);
            if (!cv->yunet) {
                set_msg(msg, msglen, "detector could not be created");
                delete cv;
                return HS_ERR_MODEL;
            }
            // A wrong network loads fine and fails on first use: run it once.
            cv::Mat blank(320, 320, CV_8UC3, cv::Scalar(0, 0, 0)), faces;
            cv->yunet->detect(blank, faces);
            cv->use_yunet = true;
        } else {
            if (!o->cascade_path || !readable(o->cascade_path) ||
                !cv->cascade.load(o->cascade_path)) {
                set_msg(msg, msglen, std::string("cannot load Haar cascade ") +
                                         (o->cascade_path ? o->cascade_path : "(none)"));
                delete cv;
                return HS_ERR_MODEL;
            }
        }
        stage = "embedding net";
        if (o->net_format) {
            if (!o->net_data && (!o->net_path || !readable(o->net_path))) {
                set_msg(msg, msglen, std::string("cannot open embedding model ") +
                                         (o->net_path ? o->net_path : "(none)"));
                delete cv;
                return HS_ERR_MODEL;
            }
            int s = load_net(cv, o, msg, msglen);
            if (s != HS_OK) {
                delete cv;
                return s;
            }
        }
    } catch (const cv::Exception &e) {
        set_msg(msg, msglen, std::string(stage) + ": " + e.what());
        delete cv;
        return HS_ERR_MODEL;
    } catch (const std::bad_alloc &) {
        delete cv;
        return HS_ERR_NOMEM;
    } catch (const std::exception &e) {
        set_msg(msg, msglen, std::string(stage) + ": " + e.what());
        delete cv;
        return HS_ERR_MODEL;
    } catch (...) {
        set_msg(msg, msglen, std::string(stage) + ": unknown exception");
        delete cv;
        return HS_ERR_MODEL;
    }
    *dim = cv->dim;
    *out = cv;
    return HS_OK;
}

extern "C" void hs__face_cv_free(hs__face_cv *cv)
{
    try {
        delete cv;
    } catch (...) {
    }
}

extern "C" int hs__face_cv_detect(hs__face_cv *cv, const uint8_t *rgb, int w, int h,
                                  const hs__face_det_params *p, float *rows, int cap, int *count,
                                  char *msg, size_t msglen)
{
    *count = 0;
    try {
        cv::Mat src(h, w, CV_8UC3, const_cast<uint8_t *>(rgb), (size_t)w * 3);
        cv::Mat bgr;
        cv::cvtColor(src, bgr, cv::COLOR_RGB2BGR);
        int lng = std::max(w, h);
        double f = 1.0;
        if (lng > p->max_side)
            f = (double)p->max_side / lng;
        else if (lng < p->upscale_below)
            f = 2.0;
        cv::Mat img;
        if (f != 1.0)
            cv::resize(bgr, img, cv::Size(std::max(1, (int)std::lround(w * f)),
                                          std::max(1, (int)std::lround(h * f))),
                       0, 0, f < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
        else
            img = bgr;
        double fx = (double)w / img.cols, fy = (double)h / img.rows;
        std::vector<std::vector<float>> found;
        if (cv->use_yunet) {
            // YuNet downsamples by up to 64: pad (right and bottom, so that
            // coordinates do not move) to a multiple of 32 and at least 64,
            // else thin or tiny inputs make its pooling layers fail.
            int pw = std::max(64, (img.cols + 31) / 32 * 32);
            int ph = std::max(64, (img.rows + 31) / 32 * 32);
            if (pw != img.cols || ph != img.rows) {
                cv::Mat padded;
                cv::copyMakeBorder(img, padded, 0, ph - img.rows, 0, pw - img.cols,
                                   cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0));
                img = padded;
            }
            cv->yunet->setInputSize(img.size());
            cv->yunet->setScoreThreshold(p->score_threshold);
            cv->yunet->setNMSThreshold(p->nms_threshold);
            cv::Mat faces;
            cv->yunet->detect(img, faces);
            for (int i = 0; i < faces.rows; i++) {
                std::vector<float> r(HS__FACE_ROW);
                for (int k = 0; k < HS__FACE_ROW; k++)
                    r[k] = faces.at<float>(i, k);
                found.push_back(r);
            }
        } else {
            cv::Mat grey;
            cv::cvtColor(img, grey, cv::COLOR_BGR2GRAY);
            cv::equalizeHist(grey, grey);
            std::vector<cv::Rect> rects;
            int mn = std::max(20, (int)(p->min_face / std::max(fx, fy)));
            cv->cascade.detectMultiScale(grey, rects, 1.1, 5, 0, cv::Size(mn, mn));
            for (const cv::Rect &r : rects) {
                std::vector<float> row(HS__FACE_ROW);
                haar_landmarks(r, row.data());
                found.push_back(row);
            }
        }
        int n = 0;
        for (auto &r : found) {
            for (int k = 0; k < 14; k++)
                r[k] = (float)(r[k] * ((k & 1) ? fy : fx));
            if (r[2] < p->min_face || r[3] < p->min_face)
                continue;
            if (n < cap)
                std::memcpy(rows + (size_t)n * HS__FACE_ROW, r.data(),
                            HS__FACE_ROW * sizeof(float));
            n++;
        }
        *count = n;
        return HS_OK;
    } catch (const std::bad_alloc &) {
        return HS_ERR_NOMEM;
    } catch (const cv::Exception &e) {
        set_msg(msg, msglen, std::string("detection: ") + e.what());
    } catch (const std::exception &e) {
        set_msg(msg, msglen, std::string("detection: ") + e.what());
    } catch (...) {
        set_msg(msg, msglen, "detection: unknown exception");
    }
    return HS_ERR_INTERNAL;
}

extern "C" int hs__face_cv_warp(const uint8_t *rgb, int w, int h, const double m[6], int size,
                                uint8_t *crop, char *msg, size_t msglen)
{
    try {
        cv::Mat src(h, w, CV_8UC3, const_cast<uint8_t *>(rgb), (size_t)w * 3);
        cv::Mat dst(size, size, CV_8UC3, crop, (size_t)size * 3);
        cv::Mat M = (cv::Mat_<double>(2, 3) << m[0], m[1], m[2], m[3], m[4], m[5]);
        cv::warpAffine(src, dst, M, cv::Size(size, size), cv::INTER_LINEAR,
                       cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0));
        if (dst.data != crop) // warpAffine reallocated: should not happen, copy back
            std::memcpy(crop, dst.data, (size_t)size * size * 3);
        return HS_OK;
    } catch (const std::bad_alloc &) {
        return HS_ERR_NOMEM;
    } catch (const cv::Exception &e) {
        set_msg(msg, msglen, std::string("alignment: ") + e.what());
    } catch (const std::exception &e) {
        set_msg(msg, msglen, std::string("alignment: ") + e.what());
    } catch (...) {
        set_msg(msg, msglen, "alignment: unknown exception");
    }
    return HS_ERR_INTERNAL;
}

extern "C" int hs__face_cv_embed(hs__face_cv *cv, const uint8_t *crop, int size, double scale,
                                 double mean, int rgb, float *out, uint32_t cap, uint32_t *dim,
                                 char *msg, size_t msglen)
{
    *dim = 0;
    try {
        cv::Mat src(size, size, CV_8UC3, const_cast<uint8_t *>(crop), (size_t)size * 3);
        // The crop is RGB; swapRB turns it into BGR for nets that want BGR.
        cv::Mat blob = cv::dnn::blobFromImage(src, scale, cv::Size(size, size),
                                              cv::Scalar(mean, mean, mean), rgb == 0, false);
        cv->net.setInput(blob);
        cv::Mat o = cv->net.forward();
        if (o.depth() != CV_32F || o.total() != cv->dim || cv->dim > cap) {
            set_msg(msg, msglen, "embedding net output changed shape (input size changed?)");
            return HS_ERR_MODEL;
        }
        cv::Mat c = o.isContinuous() ? o : o.clone();
        std::memcpy(out, c.ptr<float>(), cv->dim * sizeof(float));
        *dim = cv->dim;
        return HS_OK;
    } catch (const std::bad_alloc &) {
        return HS_ERR_NOMEM;
    } catch (const cv::Exception &e) {
        // The net rejects this input (size or layout it was not made for).
        set_msg(msg, msglen, std::string("embedding net failed on the crop: ") + e.what());
        return HS_ERR_MODEL;
    } catch (const std::exception &e) {
        set_msg(msg, msglen, std::string("embedding: ") + e.what());
    } catch (...) {
        set_msg(msg, msglen, "embedding: unknown exception");
    }
    return HS_ERR_INTERNAL;
}
