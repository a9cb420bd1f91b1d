/*
 * measure.c: runs a command many times, with a bounded number of copies
 * at once, and reports wall times and peak RSS from the kernel's own
 * accounting (wait4's ru_maxrss), the way `make bench` needs them.
 *
 *     measure [-n RUNS] [-j JOBS] [-i INPUT] [-s FIRST] [-e ERRFILE]
 *             [-t TIMES] -- CMD [ARGS...]
 *
 * INPUT becomes the standard input of each run; a "%d" in it is replaced
 * by the run's index (FIRST, FIRST + 1, ...; FIRST defaults to 0), so that
 * every run can get a message of its own.  Standard output goes to /dev/null; standard error to ERRFILE
 * (appended) when given.  The report is one line of key=value pairs:
 *
 *     runs=.. jobs=.. total_s=.. median_ms=.. p10_ms=.. p90_ms=..
 *     min_ms=.. max_ms=.. median_rss_kb=.. max_rss_kb=.. ok=.. exit75=..
 *     other=.. signalled=..
 *
 * With JOBS > 1 each run's time still runs from its fork to its reaping.
 * With -t, one line "MS RSS_KB STATUS" per run is appended to TIMES (STATUS
 * is the exit code, or 128 + the signal), so that rounds can be pooled.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct slot {
	pid_t pid;
	double start;
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Writes pattern into buf with its first "%d" replaced by i. */
static void
input_name(char *buf, size_t size, const char *pattern, long i)
{
	const char *p = strstr(pattern, "%d");

	if (p == NULL) {
		snprintf(buf, size, "%s", pattern);
		return;
	}
	snprintf(buf, size, "%.*s%ld%s", (int)(p - pattern), pattern, i,
		 p + 2);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* Starts run i; returns the child's pid or -1. */
static pid_t
start_run(char **cmd, const char *input, const char *errfile, long i)
{
	char path[4096];
	pid_t pid;
	int fd;

	if (input != NULL)
		input_name(path, sizeof(path), input, i);
	pid = fork();
	if (pid != 0)
		return pid;
	fd = open(input != NULL ? path : "/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, 0) < 0) {
		perror(input != NULL ? path : "/dev/null");
		_exit(127);
	}
	fd = open("/dev/null", O_WRONLY);
	if (fd < 0 || dup2(fd, 1) < 0)
		_exit(127);
	if (errfile != NULL) {
		fd = open(errfile, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(127);
	}
	execvp(cmd[0], cmd);
	perror(cmd[0]);
	_exit(127);
}

int
main(int argc, char **argv)
{
	const char *input = NULL, *errfile = NULL, *timesfile = NULL;
	FILE *times = NULL;
	long runs = 10, jobs = 1, first = 0, started = 0, done = 0, i;
	long ok = 0, ex75 = 0, other = 0, sig = 0;
	double *ms, t0, total;
	long *rss;
	struct slot *slots;
	int opt;

	while ((opt = getopt(argc, argv, "n:j:i:s:e:t:")) != -1) {
		switch (opt) {
		case 'n':
			runs = strtol(optarg, NULL, 10);
			break;
		case 'j':
			jobs = strtol(optarg, NULL, 10);
			break;
		case 'i':
			input = optarg;
			break;
		case 's':
			first = strtol(optarg, NULL, 10);
			break;
		case 'e':
			errfile = optarg;
			break;
		case 't':
			timesfile = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind >= argc || runs < 1 || jobs < 1)
		goto usage;
	ms = calloc((size_t)runs, sizeof(*ms));
	rss = calloc((size_t)runs, sizeof(*rss));
	slots = calloc((size_t)jobs, sizeof(*slots));
	if (ms == NULL || rss == NULL || slots == NULL) {
		fprintf(stderr, "measure: out of memory\n");
		return 1;
	}
	if (timesfile != NULL && (times = fopen(timesfile, "a")) == NULL) {
		perror(timesfile);
		return 1;
	}
	t0 = now_ms();
	while (done < runs) {
		struct rusage ru;
		pid_t pid;
		int status;
		long s;

		for (s = 0; s < jobs && started < runs; s++) {
			if (slots[s].pid != 0)
				continue;
			slots[s].start = now_ms();
			slots[s].pid = start_run(argv + optind, input,
						 errfile, first + started);
			if (slots[s].pid < 0) {
				perror("measure: fork");
				return 1;
			}
			started++;
		}
		pid = wait4(-1, &status, 0, &ru);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			perror("measure: wait4");
			return 1;
		}
		for (s = 0; s < jobs && slots[s].pid != pid; s++)
			;
		if (s == jobs)
			continue;	/* not ours */
		ms[done] = now_ms() - slots[s].start;
		rss[done] = ru.ru_maxrss;
		slots[s].pid = 0;
		if (times != NULL)
			fprintf(times, "%.3f %ld %d\n", ms[done], rss[done],
				WIFSIGNALED(status) ? 128 + WTERMSIG(status) :
				WEXITSTATUS(status));
		done++;
		if (WIFSIGNALED(status))
			sig++;
		else if (WEXITSTATUS(status) == 0)
			ok++;
		else if (WEXITSTATUS(status) == 75)
			ex75++;
		else
			other++;
	}
	total = now_ms() - t0;
	if (times != NULL && fclose(times) != 0) {
		perror(timesfile);
		return 1;
	}
	qsort(ms, (size_t)runs, sizeof(*ms), cmp_double);
	qsort(rss, (size_t)runs, sizeof(*rss), cmp_long);
	i = runs / 2;
	printf("runs=%ld jobs=%ld total_s=%.3f median_ms=%.3f p10_ms=%.3f "
	       "p90_ms=%.3f min_ms=%.3f max_ms=%.3f median_rss_kb=%ld "
	       "max_rss_kb=%ld ok=%ld exit75=%ld other=%ld signalled=%ld\n",
	       runs, jobs, total / 1e3,
	       runs % 2 ? ms[i] : (ms[i - 1] + ms[i]) / 2,
	       ms[runs / 10], ms[runs * 9 / 10 < runs ? runs * 9 / 10 :
			       runs - 1], ms[0], ms[runs - 1], rss[i],
	       rss[runs - 1], ok, ex75, other, sig);
	return 0;

usage:
	fprintf(stderr, "usage: measure [-n RUNS] [-j JOBS] [-i INPUT] "
		"[-s FIRST] [-e ERRFILE] [-t TIMES] -- CMD [ARGS...]\n");
	return 64;
}
