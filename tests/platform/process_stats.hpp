// What the system says about a process under test (bench/gateway_load: the
// gateway, or the upstream in a direct run): CPU time, threads, resident
// memory, open files. process_stats_linux.cpp reads /proc; a macOS file would
// use proc_pidinfo (libproc), a Windows one GetProcessTimes and
// GetProcessMemoryInfo.
#pragma once

namespace mcpauth::test_platform {

struct ProcessSample {
  bool ok = false;    // the process exists and /proc could be read
  double cpu_s = 0;   // utime + stime, seconds
  long threads = 0;   // Threads:
  double rss_mb = 0;  // VmRSS
  double hwm_mb = 0;  // VmHWM (peak RSS)
  long fds = 0;       // entries of /proc/<pid>/fd
};

ProcessSample sample_process(long pid);

// This process's own CPU time (user + system), seconds.
double own_cpu_seconds();

}  // namespace mcpauth::test_platform
