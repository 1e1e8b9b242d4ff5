/* The face module's OpenCV wrapper (lib/face/cv_wrap.cpp): a C interface to
 * cv::FaceDetectorYN, cv::CascadeClassifier, cv::warpAffine and cv::dnn
 * (UltraFace detection, 68-point landmarks, embedding nets).
 * Every function catches cv::Exception and std::exception (and anything
 * else) and turns them into a status plus a message in msg; no exception
 * ever crosses into C. Only compiled with HOTSPOT_HAVE_OPENCV. */
#ifndef HOTSPOT_INTERNAL_FACE_CV_H
#define HOTSPOT_INTERNAL_FACE_CV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hs__face_cv hs__face_cv;

typedef struct hs__face_cv_opts {
    const char *det_path;      /* YuNet or UltraFace ONNX file, or NULL for Haar */
    const void *det_data;      /* the same in memory (wins over det_path) */
    size_t det_size;
    const char *lmk_path;      /* 68-point landmark ONNX, or NULL */
    const void *lmk_data;      /* the same in memory (wins over lmk_path) */
    size_t lmk_size;
    const char *cascade_path;  /* Haar cascade XML (used when det_path is NULL) */
    int net_format;            /* 0 none, 1 ONNX, 2 Caffe */
    const char *net_path;      /* file, or NULL when net_data is given */
    const void *net_data;
    size_t net_size;
    const char *cfg_path;      /* Caffe prototxt */
    const void *cfg_data;
    size_t cfg_size;
    int input_size;            /* to probe the net's output shape */
} hs__face_cv_opts;

typedef struct hs__face_det_params {
    float score_threshold, nms_threshold;
    int max_side, upscale_below, min_face;
} hs__face_det_params;

/* Detector kinds (hs__face_cv_info). */
#define HS__FACE_DET_HAAR 0
#define HS__FACE_DET_YUNET 1
#define HS__FACE_DET_ULTRAFACE 2

/* Row of a detection: x, y, w, h, 10 landmark coordinates, score. */
#define HS__FACE_ROW 15

/* Load the models. The net is run once on a blank crop and *dim receives its
 * output size (0 without a net). Returns HS_OK, HS_ERR_MODEL, HS_ERR_NOMEM. */
int hs__face_cv_new(hs__face_cv **out, const hs__face_cv_opts *o, uint32_t *dim, char *msg,
                    size_t msglen);
void hs__face_cv_free(hs__face_cv *cv);

/* The detector kind (HS__FACE_DET_*) and whether landmarks are real (YuNet,
 * or a landmark net), not estimated from the box. */
void hs__face_cv_info(const hs__face_cv *cv, int *det_kind, int *real_landmarks);

/* Detect on interleaved RGB (stride 3*w). Writes up to cap rows (in
 * original image pixels) and the number found into *count. Returns HS_OK or
 * HS_ERR_INTERNAL. */
int hs__face_cv_detect(hs__face_cv *cv, const uint8_t *rgb, int w, int h,
                       const hs__face_det_params *p, float *rows, int cap, int *count,
                       char *msg, size_t msglen);

/* Warp rgb (w x h) with the 2x3 matrix m (source -> crop) into a size x size
 * RGB crop. Returns HS_OK or HS_ERR_INTERNAL. */
int hs__face_cv_warp(const uint8_t *rgb, int w, int h, const double m[6], int size,
                     uint8_t *crop, char *msg, size_t msglen);

/* Run the net on a size x size RGB crop with blob = (pixel - mean) * scale,
 * channels in RGB order when rgb is 1, BGR when 0. Writes *dim floats (the
 * raw output) into out (room for cap). Returns HS_OK, HS_ERR_MODEL (output
 * shape changed) or HS_ERR_INTERNAL. */
int hs__face_cv_embed(hs__face_cv *cv, const uint8_t *crop, int size, double scale,
                      double mean, int rgb, float *out, uint32_t cap, uint32_t *dim, char *msg,
                      size_t msglen);

#ifdef __cplusplus
}
#endif
#endif
