// What /proc says about the process under test (the gateway, or the
// upstream in a direct run): CPU time, threads, resident memory, open files.
#pragma once

#include <sys/types.h>

namespace gateway_load {

struct ProcessSample {
  bool ok = false;    // the process exists and /proc could be read
  double cpu_s = 0;   // utime + stime, seconds
  long threads = 0;   // Threads:
  double rss_mb = 0;  // VmRSS
  double hwm_mb = 0;  // VmHWM (peak RSS)
  long fds = 0;       // entries of /proc/<pid>/fd
};

ProcessSample sample_process(pid_t pid);

// This process's own CPU time (user + system), seconds.
double own_cpu_seconds();

}  // namespace gateway_load
