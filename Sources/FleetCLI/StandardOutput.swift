#if canImport(Glibc)
// Only this file touches the C global `stdout`, once, before any task runs.
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// The process's standard output stream.
enum StandardOutput {
    /// Line-buffered even into a pipe or a file: progress and status lines reach a log (or a test reading
    /// them) as they are printed, and a run killed with SIGKILL keeps every line it printed.
    static func makeLineBuffered() {
        setvbuf(stdout, nil, _IOLBF, 0)
    }
}
