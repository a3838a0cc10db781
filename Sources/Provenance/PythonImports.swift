/// Finds the import statements of a Python source file without running Python.
///
/// Handles `import a.b`, `import a as b, c`, `from a import b`, `from . import x`, `from .m import y`,
/// `from ..pkg.m import (\n a,\n b)`, backslash continuations, and imports anywhere a statement can stand
/// (inside functions, `if`, `try`, after `;` or a compound statement's `:`). Text in strings and comments is
/// never read as code. Dynamic imports (`importlib.import_module(name)`) cannot be known statically; a
/// `strategy.yaml` covers them.
public enum PythonImports {
    public static func scan(source: String) -> [ImportStatement] {
        // A UTF-8 byte-order mark would otherwise glue itself to the first keyword.
        let tokens = PythonTokenizer.tokenize(source.hasPrefix("\u{FEFF}") ? String(source.dropFirst()) : source)
        var out: [ImportStatement] = []
        var k = 0
        var atStatementStart = true
        while k < tokens.count {
            let (token, line) = tokens[k]
            if atStatementStart, case .name(let word) = token, word == "import" || word == "from" {
                k = word == "import" ? parseImport(tokens, k + 1, line, &out) : parseFrom(tokens, k + 1, line, &out)
                atStatementStart = false
                continue
            }
            // `import`/`from` can only begin a statement: at a logical line's start, after `;`, or after
            // the `:` of a compound statement header (`try: import x`). Neither keyword can follow a `:`
            // elsewhere (dict, slice, annotation, lambda) in valid Python, so accepting every `:` is safe.
            switch token {
            case .newline, .semicolon, .colon: atStatementStart = true
            default: atStatementStart = false
            }
            k += 1
        }
        return out
    }

    /// `import a.b [as c], d ...` → one statement per module.
    private static func parseImport(_ t: [(token: PythonTokenizer.Token, line: Int)], _ start: Int, _ line: Int,
                                    _ out: inout [ImportStatement]) -> Int {
        var k = start
        while k < t.count {
            let (dotted, next) = dottedName(t, k)
            k = next
            if !dotted.isEmpty { out.append(ImportStatement(module: dotted, line: line)) }
            if k < t.count, case .name("as") = t[k].token { k += 2 }
            if k < t.count, t[k].token == .comma { k += 1; continue }
            break
        }
        return k
    }

    /// `from .a.b import x [as y], z` or `from . import (x, y)`.
    private static func parseFrom(_ t: [(token: PythonTokenizer.Token, line: Int)], _ start: Int, _ line: Int,
                                  _ out: inout [ImportStatement]) -> Int {
        var k = start
        var level = 0
        while k < t.count, t[k].token == .dot { level += 1; k += 1 }
        let (module, afterModule) = dottedName(t, k)
        k = afterModule
        guard k < t.count, case .name("import") = t[k].token else { return k }
        k += 1
        var names: [String] = []
        var parenthesised = false
        if k < t.count, t[k].token == .open { parenthesised = true; k += 1 }
        while k < t.count {
            switch t[k].token {
            case .name("as"): k += 2; continue
            case .name(let n): names.append(n)
            case .star: names.append("*")
            case .comma: break
            case .close where parenthesised: k += 1; return finish()
            case .newline: if !parenthesised { return finish() }
            default: if !parenthesised { return finish() }
            }
            k += 1
        }
        return finish()

        func finish() -> Int {
            if level > 0 || !module.isEmpty {
                out.append(ImportStatement(module: module, level: level, names: names, isFrom: true, line: line))
            }
            return k
        }
    }

    /// Reads `name(.name)*` starting at `k`.
    private static func dottedName(_ t: [(token: PythonTokenizer.Token, line: Int)], _ start: Int) -> (String, Int) {
        var k = start
        var parts: [String] = []
        while k < t.count, case .name(let n) = t[k].token, n != "import" {
            parts.append(n)
            k += 1
            if k + 1 < t.count, t[k].token == .dot, case .name = t[k + 1].token { k += 1 } else { break }
        }
        return (parts.joined(separator: "."), k)
    }
}
