import Base

/// Reads `strategy.yaml`, the user's explicit list of the files a strategy needs.
///
/// Only the subset the manifest uses is understood, so the project needs no YAML dependency:
///
/// ```yaml
/// # comments anywhere
/// name: sma_crossover        # other keys are ignored
/// entry: main.py
/// files:
///   - main.py
///   - "utils/helpers.py"     # quotes optional
///   - config/                # a folder: every file under it
/// ```
///
/// A flow list (`files: [main.py, utils/helpers.py]`) is accepted too.
public enum StrategyManifest {
    /// The manifest's file name, looked up beside the entry script.
    public static let fileName = "strategy.yaml"

    /// What a manifest says.
    public struct Document: Sendable, Equatable {
        /// The `entry:` key, when present: the script the manifest belongs to.
        public var entry: String?
        /// The `files:` items, in order, duplicates removed.
        public var files: [String]
    }

    /// The paths listed under `files:`.
    public static func parse(yaml: String) -> [String] { parseDocument(yaml: yaml).files }

    /// The `entry:` key and the `files:` list.
    public static func parseDocument(yaml: String) -> Document {
        var entry: String?
        var files: [String] = []
        var inFiles = false
        var filesIndent = 0
        for rawLine in yaml.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = stripComment(String(rawLine))
            let trimmed = line.trimmingSpaces()
            if trimmed.isEmpty { continue }
            let indent = line.prefix(while: { $0 == " " || $0 == "\t" }).count
            if inFiles {
                // List items may sit at the key's own indentation (YAML allows it) or deeper.
                if trimmed.hasPrefix("- ") || trimmed == "-" {
                    if indent >= filesIndent {
                        let item = unquote(String(trimmed.dropFirst()).trimmingSpaces())
                        if !item.isEmpty && !files.contains(item) { files.append(item) }
                        continue
                    }
                }
                inFiles = false
            }
            guard let colon = keyColon(trimmed) else { continue }
            let key = unquote(String(trimmed[..<colon]).trimmingSpaces())
            let value = String(trimmed[trimmed.index(after: colon)...]).trimmingSpaces()
            // Only top-level keys count: a nested `files:` under some other mapping is someone else's.
            guard indent == 0 else { continue }
            switch key {
            case "entry":
                entry = value.isEmpty ? nil : unquote(value)
            case "files":
                if value.hasPrefix("[") {
                    let inner = value.dropFirst().prefix(while: { $0 != "]" })
                    for part in inner.split(separator: ",") {
                        let item = unquote(String(part).trimmingSpaces())
                        if !item.isEmpty && !files.contains(item) { files.append(item) }
                    }
                } else {
                    inFiles = true
                    filesIndent = indent
                }
            default:
                break
            }
        }
        return Document(entry: entry, files: files)
    }

    /// Removes a `#` comment that is not inside quotes. YAML needs the `#` to start the line or follow a
    /// space, so `file#1.py` keeps its `#`.
    private static func stripComment(_ line: String) -> String {
        var quote: Character?
        var previous: Character = " "
        for index in line.indices {
            let c = line[index]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "#" && (previous == " " || previous == "\t") {
                return String(line[..<index])
            }
            previous = c
        }
        return line
    }

    /// The `:` that ends a mapping key: followed by a space or the end of the line.
    private static func keyColon(_ s: String) -> String.Index? {
        var index = s.startIndex
        while index < s.endIndex {
            if s[index] == ":" {
                let after = s.index(after: index)
                if after == s.endIndex || s[after] == " " || s[after] == "\t" { return index }
            }
            index = s.index(after: index)
        }
        return nil
    }

    private static func unquote(_ s: String) -> String {
        if s.count >= 2, let first = s.first, first == "\"" || first == "'", s.last == first {
            return String(s.dropFirst().dropLast())
        }
        return s
    }
}
