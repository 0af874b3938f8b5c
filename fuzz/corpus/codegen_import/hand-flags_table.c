/* Written for the fuzz corpus. */
#include "ppm_events_public.h"
const struct ppm_name_value file_flags[] = {
	{"O_RDWR", PPM_O_RDWR},
	{"O_RDONLY", PPM_O_RDONLY},
	{"O_WRONLY", PPM_O_WRONLY},
	{"O_NONE", PPM_O_NONE},
	{0, 0},
};
