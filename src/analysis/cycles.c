/* Gait-cycle boundaries. A lift-off is the first sample without contact after a sample with
 * contact; the pieces before the first and after the last lift-off are incomplete and are
 * never used (docs/analysis.md §2). */
#include <math.h>

#include "gaitlab/analysis.h"

int gla_liftoffs(const float *force, int stride, int n, int nvalid, double threshold,
                 int *liftoff, int cap) {
  int count = 0;
  if (nvalid > n) nvalid = n;
  int prev = 0;
  for (int k = 0; k < nvalid; ++k) {
    float f = force[(size_t)k * (size_t)stride];
    if (isnan(f)) break; /* invalid from here on (fall) */
    int contact = (double)f > threshold;
    if (k > 0 && prev && !contact) {
      if (count < cap) liftoff[count] = k;
      ++count;
    }
    prev = contact;
  }
  return count;
}

int gla_mode_period(const int64_t *counts, int maxlen) {
  int best = 0;
  for (int len = 1; len <= maxlen; ++len)
    if (counts[len] > (best ? counts[best] : 0)) best = len; /* strict: ties keep shorter */
  return best;
}
