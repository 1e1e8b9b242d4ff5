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
#include <cmath>
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
    int det_kind = HS__FACE_DET_HAAR;
    cv::dnn::Net ultra;    // UltraFace
    cv::dnn::Net lmk;      // 68-point landmarks
    bool has_lmk = false;
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

// Called inside a catch block: the status for the exception in flight
// (HS_ERR_NOMEM for bad_alloc, else `status`), with "<what>: <its text>" put
// in msg. cv::Exception is a std::exception whose what() is its message.
int caught(const std::string &what, int status, char *msg, size_t msglen)
{
    try {
        throw;
    } catch (const std::bad_alloc &) {
        return HS_ERR_NOMEM;
    } catch (const std::exception &e) {
        set_msg(msg, msglen, what + ": " + e.what());
    } catch (...) {
        set_msg(msg, msglen, what + ": unknown exception");
    }
    return status;
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

// UltraFace (RFB-320 as exported by Linzaer's Ultra-Light-Fast-Generic-Face-
// Detector): fixed 320x240 RGB input, (x - 127) / 128; outputs "scores"
// [1, N, 2] (background, face) and "boxes" [1, N, 4], x1 y1 x2 y2 already
// decoded and normalised to the input.
const int UF_W = 320, UF_H = 240;

// Close-ups get a second pass on the image padded by UF_PAD of its larger
// side on each edge (replicated edges). The net is trained on scenes: a face
// that fills the frame (an ID photo, a tight crop) is missed or gets a box
// that is too tall. Padding every image would cost small faces in scenes
// their resolution (AT&T faces pasted into 640x480 at 46x56 px: 40 of 42
// found without padding, 11 with), so the padded pass runs only when the
// plain one finds nothing or a face wider or taller than UF_CLOSEUP of the
// image. The bound is low because on close-ups the plain pass sometimes
// boxes part of the face (4 AT&T images at 0.4, none at 0.2 or 0.25). On
// AT&T (all close-ups) padding from 0.125 to 0.35 finds 400/400 and gives
// the same accuracy within 3 genuine pairs of 1,800; without it 3 faces are
// missed.
const double UF_PAD = 0.2;
const double UF_CLOSEUP = 0.2;

bool onnx_net(cv::dnn::Net &net, const char *path, const void *data, size_t size)
{
    if (data)
        net = cv::dnn::readNetFromONNX(static_cast<const char *>(data), size);
    else
        net = cv::dnn::readNetFromONNX(path);
    return !net.empty();
}

// True when the net's outputs are UltraFace's "scores" and "boxes".
bool is_ultraface(cv::dnn::Net &net)
{
    std::vector<std::string> outs = net.getUnconnectedOutLayersNames();
    bool sc = false, bx = false;
    for (const std::string &n : outs) {
        sc = sc || n == "scores";
        bx = bx || n == "boxes";
    }
    return sc && bx && outs.size() == 2;
}

// Run UltraFace once on a blank input and check the output shapes.
bool probe_ultraface(cv::dnn::Net &net, std::string &err)
{
    cv::Mat blank(UF_H, UF_W, CV_8UC3, cv::Scalar(127, 127, 127));
    net.setInput(cv::dnn::blobFromImage(blank, 1.0 / 128, cv::Size(UF_W, UF_H),
                                        cv::Scalar(127, 127, 127), false, false));
    std::vector<cv::Mat> outs;
    net.forward(outs, std::vector<std::string>{"scores", "boxes"});
    if (outs.size() != 2 || outs[0].dims != 3 || outs[1].dims != 3 ||
        outs[0].size[2] != 2 || outs[1].size[2] != 4 || outs[0].size[1] != outs[1].size[1] ||
        outs[0].depth() != CV_32F || outs[1].depth() != CV_32F) {
        err = "UltraFace detector: outputs are not scores [1,N,2] and boxes [1,N,4] for a "
              "320x240 input";
        return false;
    }
    return true;
}

const int LMK_SIZE = 64;

// Run the landmark net once and check for 136 outputs.
bool probe_landmarks(cv::dnn::Net &net, std::string &err)
{
    cv::Mat blank(LMK_SIZE, LMK_SIZE, CV_8UC1, cv::Scalar(128));
    net.setInput(cv::dnn::blobFromImage(blank, 1.0 / 256, cv::Size(LMK_SIZE, LMK_SIZE),
                                        cv::Scalar(0), false, false));
    cv::Mat out = net.forward();
    if (out.depth() != CV_32F || out.total() != 136) {
        err = "landmark net: output is not 68 points (got " + std::to_string(out.total()) +
              " values for a 64x64 grey input)";
        return false;
    }
    return true;
}

// One UltraFace pass on the RGB image: pad by pad_fraction of the larger
// side, letterbox to 4:3 (both with replicated edges), resize to 320x240,
// threshold, NMS. Rows are box and score in pixels of src, with landmarks
// estimated from the box (a landmark net replaces them later).
void ultraface_pass(hs__face_cv *cv, const cv::Mat &src, const hs__face_det_params *p,
                    double pad_fraction, std::vector<std::vector<float>> &found)
{
    int w = src.cols, h = src.rows;
    double pad = pad_fraction * std::max(w, h);
    double cw = w + 2 * pad, ch = h + 2 * pad;
    if (cw * UF_H < ch * UF_W)
        cw = ch * UF_W / UF_H;
    else
        ch = cw * UF_H / UF_W;
    double s = UF_W / cw;
    int rw = std::min(UF_W, std::max(1, (int)std::lround(w * s)));
    int rh = std::min(UF_H, std::max(1, (int)std::lround(h * s)));
    cv::Mat small;
    cv::resize(src, small, cv::Size(rw, rh), 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    int left = (UF_W - rw) / 2, top = (UF_H - rh) / 2;
    cv::Mat in;
    cv::copyMakeBorder(small, in, top, UF_H - rh - top, left, UF_W - rw - left,
                       cv::BORDER_REPLICATE);
    double sx = (double)rw / w, sy = (double)rh / h;
    cv->ultra.setInput(cv::dnn::blobFromImage(in, 1.0 / 128, cv::Size(UF_W, UF_H),
                                              cv::Scalar(127, 127, 127), false, false));
    std::vector<cv::Mat> outs;
    cv->ultra.forward(outs, std::vector<std::string>{"scores", "boxes"});
    const cv::Mat sc = outs[0].isContinuous() ? outs[0] : outs[0].clone();
    const cv::Mat bx = outs[1].isContinuous() ? outs[1] : outs[1].clone();
    const float *ps = sc.ptr<float>(), *pb = bx.ptr<float>();
    int n = sc.size[1];
    std::vector<cv::Rect2d> rects;
    std::vector<float> scores;
    for (int i = 0; i < n; i++) {
        float conf = ps[2 * i + 1];
        if (!(conf > p->score_threshold))
            continue;
        double x1 = (pb[4 * i] * UF_W - left) / sx, y1 = (pb[4 * i + 1] * UF_H - top) / sy;
        double x2 = (pb[4 * i + 2] * UF_W - left) / sx, y2 = (pb[4 * i + 3] * UF_H - top) / sy;
        if (!(x2 > x1 && y2 > y1))
            continue;
        rects.emplace_back(x1, y1, x2 - x1, y2 - y1);
        scores.push_back(conf);
    }
    std::vector<int> keep;
    cv::dnn::NMSBoxes(rects, scores, p->score_threshold, p->nms_threshold, keep);
    for (int k : keep) {
        std::vector<float> row(HS__FACE_ROW);
        const cv::Rect2d &r = rects[(size_t)k];
        row[0] = (float)r.x;
        row[1] = (float)r.y;
        row[2] = (float)r.width;
        row[3] = (float)r.height;
        // Estimated points for a detector without a landmark net.
        static const float rel[10] = {0.32f, 0.40f, 0.68f, 0.40f, 0.50f,
                                      0.58f, 0.36f, 0.76f, 0.64f, 0.76f};
        for (int i = 0; i < 5; i++) {
            row[4 + 2 * i] = (float)(r.x + rel[2 * i] * r.width);
            row[5 + 2 * i] = (float)(r.y + rel[2 * i + 1] * r.height);
        }
        row[14] = scores[(size_t)k];
        found.push_back(row);
    }
}

// Intersection over the smaller box: the two passes box one face
// differently (the plain pass too tall on close-ups), so IoU can be low for
// the same face while one box holds most of the other.
double overlap(const std::vector<float> &a, const std::vector<float> &b)
{
    double x0 = std::max(a[0], b[0]), y0 = std::max(a[1], b[1]);
    double x1 = std::min(a[0] + a[2], b[0] + b[2]), y1 = std::min(a[1] + a[3], b[1] + b[3]);
    if (x1 <= x0 || y1 <= y0)
        return 0;
    return (x1 - x0) * (y1 - y0) / std::min((double)a[2] * a[3], (double)b[2] * b[3]);
}

// UltraFace: the plain pass, then for close-ups (see UF_CLOSEUP) the padded
// one, whose faces replace the plain pass's where they overlap.
void detect_ultraface(hs__face_cv *cv, const cv::Mat &src, const hs__face_det_params *p,
                      std::vector<std::vector<float>> &found)
{
    ultraface_pass(cv, src, p, 0.0, found);
    bool closeup = found.empty();
    for (const auto &r : found)
        closeup = closeup || r[2] > UF_CLOSEUP * src.cols || r[3] > UF_CLOSEUP * src.rows;
    if (!closeup)
        return;
    std::vector<std::vector<float>> padded;
    ultraface_pass(cv, src, p, UF_PAD, padded);
    if (padded.empty())
        return;
    for (const auto &r : found) {
        bool overlaps = false;
        for (const auto &q : padded)
            overlaps = overlaps || overlap(r, q) > 0.5;
        if (!overlaps)
            padded.push_back(r);
    }
    found.swap(padded);
}

// 68 landmarks on the face box of row (pixels of the RGB src), reduced to
// the five points of hs_face: the square around the box (outside parts
// replicated from the edge) resized to 64x64 grey, x/256; the net gives
// points relative to that square.
void landmarks68(hs__face_cv *cv, const cv::Mat &src, float *row)
{
    // The square on the box's larger side, same centre: UltraFace boxes are
    // taller than wide and Haar's are tighter, while the net expects the
    // face in a square (on AT&T, with every image padded by a quarter, the
    // square lowered EER from 0.78 to 0.67% and made the accuracy
    // insensitive to the padding).
    double side = std::max(row[2], row[3]);
    double sx0 = row[0] + (row[2] - side) / 2, sy0 = row[1] + (row[3] - side) / 2;
    int x0 = (int)std::floor(sx0), y0 = (int)std::floor(sy0);
    int x1 = (int)std::ceil(sx0 + side), y1 = (int)std::ceil(sy0 + side);
    if (x1 - x0 < 4 || y1 - y0 < 4)
        return;
    int cx0 = std::max(0, std::min(src.cols - 1, x0));
    int cy0 = std::max(0, std::min(src.rows - 1, y0));
    int cx1 = std::max(cx0 + 1, std::min(src.cols, x1));
    int cy1 = std::max(cy0 + 1, std::min(src.rows, y1));
    cv::Mat region = src(cv::Rect(cx0, cy0, cx1 - cx0, cy1 - cy0)), box;
    if (cx0 != x0 || cy0 != y0 || cx1 != x1 || cy1 != y1)
        cv::copyMakeBorder(region, box, cy0 - y0, y1 - cy1, cx0 - x0, x1 - cx1,
                           cv::BORDER_REPLICATE);
    else
        box = region;
    cv::Mat small, grey;
    cv::resize(box, small, cv::Size(LMK_SIZE, LMK_SIZE), 0, 0,
               box.cols > LMK_SIZE ? cv::INTER_AREA : cv::INTER_LINEAR);
    cv::cvtColor(small, grey, cv::COLOR_RGB2GRAY);
    cv->lmk.setInput(cv::dnn::blobFromImage(grey, 1.0 / 256, cv::Size(LMK_SIZE, LMK_SIZE),
                                            cv::Scalar(0), false, false));
    cv::Mat out = cv->lmk.forward();
    if (out.total() != 136)
        return;
    cv::Mat o = out.isContinuous() ? out : out.clone();
    const float *v = o.ptr<float>();
    double bw = x1 - x0, bh = y1 - y0;
    auto px = [&](int i) { return x0 + v[2 * i] * bw; };
    auto py = [&](int i) { return y0 + v[2 * i + 1] * bh; };
    float lm[10];
    lm[0] = (float)((px(37) + px(38) + px(40) + px(41)) / 4);
    lm[1] = (float)((py(37) + py(38) + py(40) + py(41)) / 4);
    lm[2] = (float)((px(43) + px(44) + px(46) + px(47)) / 4);
    lm[3] = (float)((py(43) + py(44) + py(46) + py(47)) / 4);
    lm[4] = (float)px(30);
    lm[5] = (float)py(30);
    lm[6] = (float)((px(48) + px(60)) / 2);
    lm[7] = (float)((py(48) + py(60)) / 2);
    lm[8] = (float)((px(54) + px(64)) / 2);
    lm[9] = (float)((py(54) + py(64)) / 2);
    for (int i = 0; i < 10; i++)
        if (!std::isfinite(lm[i]))
            return;
    std::memcpy(row + 4, lm, sizeof lm);
}

// YuNet and Haar: scale (MAX_SIDE, UPSCALE_BELOW), detect, rows back in
// pixels of src.
void detect_scaled(hs__face_cv *cv, const cv::Mat &src, const hs__face_det_params *p,
                   std::vector<std::vector<float>> &found)
{
    int w = src.cols, h = src.rows;
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
    if (cv->det_kind == HS__FACE_DET_YUNET) {
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
    for (auto &r : found)
        for (int k = 0; k < 14; k++)
            r[k] = (float)(r[k] * ((k & 1) ? fy : fx));
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
        // An ONNX detector is UltraFace when its outputs say so, else YuNet.
        if (o->det_data || o->det_path) {
            if (!o->det_data && !readable(o->det_path)) {
                set_msg(msg, msglen, std::string("cannot open detector model ") + o->det_path);
                delete cv;
                return HS_ERR_MODEL;
            }
            cv::dnn::Net probe;
            bool loaded = false;
            try {
                loaded = onnx_net(probe, o->det_path, o->det_data, o->det_size);
            } catch (const cv::Exception &) {
                loaded = false; // YuNet's own loader below says why
            }
            if (loaded && is_ultraface(probe)) {
                std::string err;
                if (!probe_ultraface(probe, err)) {
                    set_msg(msg, msglen, err);
                    delete cv;
                    return HS_ERR_MODEL;
                }
                cv->ultra = probe;
                cv->det_kind = HS__FACE_DET_ULTRAFACE;
            }
        }
        if (cv->det_kind == HS__FACE_DET_ULTRAFACE) {
            // loaded above
        } else if (o->det_data) {
            std::string err;
            cv->yunet = yunet_from_memory(o->det_data, o->det_size, err);
            if (!cv->yunet) {
                set_msg(msg, msglen, err.empty() ? "detector could not be created" : err);
                delete cv;
                return HS_ERR_MODEL;
            }
            cv::Mat blank(320, 320, CV_8UC3, cv::Scalar(0, 0, 0)), faces;
            cv->yunet->detect(blank, faces);
            cv->det_kind = HS__FACE_DET_YUNET;
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
            cv->det_kind = HS__FACE_DET_YUNET;
        } else {
            if (!o->cascade_path || !readable(o->cascade_path) ||
                !cv->cascade.load(o->cascade_path)) {
                set_msg(msg, msglen, std::string("cannot load Haar cascade ") +
                                         (o->cascade_path ? o->cascade_path : "(none)"));
                delete cv;
                return HS_ERR_MODEL;
            }
        }
        stage = "landmark net";
        if (o->lmk_data || o->lmk_path) {
            if (!o->lmk_data && !readable(o->lmk_path)) {
                set_msg(msg, msglen, std::string("cannot open landmark model ") + o->lmk_path);
                delete cv;
                return HS_ERR_MODEL;
            }
            std::string err;
            if (!onnx_net(cv->lmk, o->lmk_path, o->lmk_data, o->lmk_size) ||
                !probe_landmarks(cv->lmk, err)) {
                set_msg(msg, msglen, err.empty() ? "landmark net is empty after loading" : err);
                delete cv;
                return HS_ERR_MODEL;
            }
            cv->has_lmk = true;
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
    } catch (...) {
        int s = caught(stage, HS_ERR_MODEL, msg, msglen);
        delete cv;
        return s;
    }
    *dim = cv->dim;
    *out = cv;
    return HS_OK;
}

extern "C" void hs__face_cv_info(const hs__face_cv *cv, int *det_kind, int *real_landmarks)
{
    *det_kind = cv->det_kind;
    *real_landmarks = cv->det_kind == HS__FACE_DET_YUNET || cv->has_lmk;
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
        std::vector<std::vector<float>> found;
        if (cv->det_kind == HS__FACE_DET_ULTRAFACE)
            detect_ultraface(cv, src, p, found);
        else
            detect_scaled(cv, src, p, found);
        int n = 0;
        for (auto &r : found) {
            if (r[2] < p->min_face || r[3] < p->min_face)
                continue;
            if (n < cap) {
                if (cv->has_lmk && cv->det_kind != HS__FACE_DET_YUNET)
                    landmarks68(cv, src, r.data());
                // The box inside the image (the landmarks may use the part
                // of the face beyond a tight crop's edge).
                float bx0 = std::max(0.0f, r[0]), by0 = std::max(0.0f, r[1]);
                float bx1 = std::min((float)w, r[0] + r[2]), by1 = std::min((float)h, r[1] + r[3]);
                if (bx1 > bx0 && by1 > by0) {
                    r[0] = bx0;
                    r[1] = by0;
                    r[2] = bx1 - bx0;
                    r[3] = by1 - by0;
                }
                std::memcpy(rows + (size_t)n * HS__FACE_ROW, r.data(),
                            HS__FACE_ROW * sizeof(float));
            }
            n++;
        }
        *count = n;
        return HS_OK;
    } catch (...) {
        return caught("detection", HS_ERR_INTERNAL, msg, msglen);
    }
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
    } catch (...) {
        return caught("alignment", HS_ERR_INTERNAL, msg, msglen);
    }
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
    } catch (const cv::Exception &e) {
        // The net rejects this input (size or layout it was not made for).
        set_msg(msg, msglen, std::string("embedding net failed on the crop: ") + e.what());
        return HS_ERR_MODEL;
    } catch (...) {
        return caught("embedding", HS_ERR_INTERNAL, msg, msglen);
    }
}
