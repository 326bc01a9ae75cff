/// Text made safe for HTML, SVG and XML content and attribute values, the one escaping every report uses.
enum MarkupText {
    /// `& < > " '` as entities; characters XML 1.0 forbids (control characters other than tab and line
    /// breaks, U+FFFE, U+FFFF) dropped, so a device's odd client ID cannot break a report.
    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value >= 0x20 && scalar.value != 0xFFFE && scalar.value != 0xFFFF {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
