/* strv.c: arrays of strings (strv.h). */
#include "common/strv.h"

#include <string.h>

bool hy_strv_contains(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] && strcmp(v[i], s) == 0)
			return true;
	return false;
}
