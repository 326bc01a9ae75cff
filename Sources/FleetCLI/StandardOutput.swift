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

    /// Whether standard output is a terminal, where live lines redraw in place.
    static var isTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// The terminal's width now: the kernel's (TIOCGWINSZ, so a resize counts from the next refresh), else
    /// `$COLUMNS`, else 80.
    static func columns() -> Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let text = getenv("COLUMNS"), let columns = Int(String(cString: text)), columns > 0 { return columns }
        return 80
    }

    /// Writes `text` through the same buffer as `print`, flushed: a live line redrawn without a newline
    /// shows at once and stays in order with the lines printed around it.
    static func write(_ text: String) {
        fputs(text, stdout)
        fflush(stdout)
    }
}
