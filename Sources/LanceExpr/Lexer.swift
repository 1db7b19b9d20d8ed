import LanceCore

/// One token of a filter string; `pos` is the 1-based character position of its first character.
struct Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case ident(String)          // bare identifier or keyword (case kept)
        case quotedIdent(String)    // `name` or "name"
        case string(String)         // 'text'
        case number(String)
        case op(String)             // = != <> < <= > >= + - * / % ( ) , . :: [ ] ||
        case end
    }
    var kind: Kind
    var pos: Int
}

func exprError(_ message: String, at pos: Int) -> LanceError {
    LanceError(.invalidInput, "\(message) at column \(pos)", position: UInt64(max(pos, 1)))
}

/// Splits a filter string into tokens. Positions count Unicode characters from 1.
func tokenize(_ text: String) throws -> [Token] {
    let chars = Array(text.unicodeScalars)
    var out: [Token] = []
    var i = 0
    func isIdentStart(_ c: Unicode.Scalar) -> Bool {
        c == "_" || c.properties.isAlphabetic
    }
    func isIdentPart(_ c: Unicode.Scalar) -> Bool {
        isIdentStart(c) || ("0" ... "9").contains(c) || c == "$"
    }
    while i < chars.count {
        let c = chars[i]
        let pos = i + 1
        if c.properties.isWhitespace { i += 1; continue }
        if c == "-" && i + 1 < chars.count && chars[i + 1] == "-" {  // line comment
            while i < chars.count && chars[i] != "\n" { i += 1 }
            continue
        }
        if isIdentStart(c) {
            var s = String.UnicodeScalarView()
            while i < chars.count && isIdentPart(chars[i]) { s.append(chars[i]); i += 1 }
            out.append(Token(kind: .ident(String(s)), pos: pos))
            continue
        }
        if ("0" ... "9").contains(c) || (c == "." && i + 1 < chars.count && ("0" ... "9").contains(chars[i + 1])) {
            var s = ""
            while i < chars.count && ("0" ... "9").contains(chars[i]) { s.unicodeScalars.append(chars[i]); i += 1 }
            if i < chars.count && chars[i] == "." {
                s += "."; i += 1
                while i < chars.count && ("0" ... "9").contains(chars[i]) { s.unicodeScalars.append(chars[i]); i += 1 }
            }
            if i < chars.count && (chars[i] == "e" || chars[i] == "E") {
                var j = i + 1
                if j < chars.count && (chars[j] == "+" || chars[j] == "-") { j += 1 }
                if j < chars.count && ("0" ... "9").contains(chars[j]) {
                    s += "e"
                    if chars[i + 1] == "-" { s += "-" }
                    i = j
                    while i < chars.count && ("0" ... "9").contains(chars[i]) { s.unicodeScalars.append(chars[i]); i += 1 }
                }
            }
            if i < chars.count && isIdentStart(chars[i]) {
                throw exprError("malformed number: unexpected `\(chars[i])` after `\(s)`", at: i + 1)
            }
            out.append(Token(kind: .number(s), pos: pos))
            continue
        }
        if c == "'" || c == "\"" || c == "`" {
            let quote = c
            var s = String.UnicodeScalarView()
            i += 1
            var closed = false
            while i < chars.count {
                if chars[i] == quote {
                    if i + 1 < chars.count && chars[i + 1] == quote { s.append(quote); i += 2; continue }
                    closed = true
                    i += 1
                    break
                }
                s.append(chars[i]); i += 1
            }
            guard closed else {
                let what = quote == "'" ? "string literal" : "quoted identifier"
                throw exprError("unterminated \(what) (expected a closing \(quote))", at: pos)
            }
            if quote == "'" {
                out.append(Token(kind: .string(String(s)), pos: pos))
            } else {
                guard !s.isEmpty else { throw exprError("empty quoted identifier", at: pos) }
                out.append(Token(kind: .quotedIdent(String(s)), pos: pos))
            }
            continue
        }
        let two = i + 1 < chars.count ? String(String.UnicodeScalarView([c, chars[i + 1]])) : ""
        if ["!=", "<>", "<=", ">=", "::", "||", "=="].contains(two) {
            out.append(Token(kind: .op(two == "==" ? "=" : two), pos: pos))
            i += 2
            continue
        }
        if "=<>+-*/%(),.[]".unicodeScalars.contains(c) {
            out.append(Token(kind: .op(String(c)), pos: pos))
            i += 1
            continue
        }
        throw exprError("unexpected character `\(c)`", at: pos)
    }
    out.append(Token(kind: .end, pos: chars.count + 1))
    return out
}
