#ifndef AX_VERSION_H
#define AX_VERSION_H
/* Generated per build (build/<arch>/version.c): `git describe` and the date. */
extern const char ax_version[];
extern const char ax_build_date[];
#endif
