/*
 * libhotspot - frontline biometric screening.
 *
 * Umbrella header: includes every public module header. See each header for
 * its API and thread-safety; docs/ holds the guides.
 */
#ifndef HOTSPOT_HOTSPOT_H
#define HOTSPOT_HOTSPOT_H

#include "hotspot/common.h"
#include "hotspot/image.h"
#include "hotspot/template.h"
#include "hotspot/nist.h"
#include "hotspot/match.h"
#include "hotspot/face.h"
#include "hotspot/finger.h"
#include "hotspot/watchlist.h"
#include "hotspot/synth.h"
#include "hotspot/eval.h"
#include "hotspot/device.h"
#include "hotspot/audit.h"
#include "hotspot/encounter.h"
#include "hotspot/outbox.h"

#endif /* HOTSPOT_HOTSPOT_H */
