/// Foundation-free trimming for the line-oriented text the modules read (YAML lines, command output, CSV cells).
extension String {
    /// Without leading and trailing spaces and tabs (Foundation-free).
    package func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return String(s)
    }

    /// Without trailing `\n`/`\r` (command output ends with one).
    package func trimmingNewlines() -> String {
        var s = Substring(self)
        while let l = s.last, l == "\n" || l == "\r" || l == "\r\n" { s.removeLast() }
        return String(s)
    }
}
