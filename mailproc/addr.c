/* addr.c: is this a mail address? */
#include <string.h>

#include "addr.h"

int
addr_plausible(const char *a)
{
	const char *at, *p;

	if (a == NULL || (at = strchr(a, '@')) == NULL || at == a ||
	    at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return 0;
	for (p = a; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f ||
		    strchr("<>,;\"()[]\\", *p) != NULL)
			return 0;
	return 1;
}
