import Glibc

/// A failure reported as one line, `tsmfs: <message>`, with exit status 1.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// The C library's text for an errno value ("No such file or directory").
func systemError(_ code: Int32) -> String {
    String(cString: strerror(code))
}
