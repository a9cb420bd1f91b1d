/*
 * Mail address syntax, as far as mailproc needs to judge it: whether a
 * string given by an operator (config, contract CSV) or a web form is a
 * plausible addr-spec.  Deliberately plain, not RFC 5322's full grammar:
 * no quoted local parts, comments or routes.
 */
#ifndef MP_ADDR_H
#define MP_ADDR_H

/* 1 if a is local@domain with one '@', both sides non-empty, and no
 * whitespace, control characters or <>,;"()[]\ in it; else 0. */
int addr_plausible(const char *a);

#endif
