import LanceCore

extension JSONValue {
    /// Parses one JSON document (RFC 8259, strict: no comments, trailing commas, NaN literals,
    /// leading zeros, unescaped control characters, lone surrogates or duplicate keys).
    /// Surrounding whitespace is allowed; anything else after the value is an error.
    /// Nesting deeper than `maxDepth` is rejected. Errors are `LanceError(.invalidInput)` with the byte position.
    public static func parse(_ text: String, maxDepth: Int = 512) throws -> JSONValue {
        var text = text
        return try text.withUTF8 { try parse(bytes: UnsafeRawBufferPointer($0), maxDepth: maxDepth) }
    }

    /// Parses UTF-8 bytes (see ``parse(_:maxDepth:)``).
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 512) throws -> JSONValue {
        try bytes.withUnsafeBytes { try parse(bytes: $0, maxDepth: maxDepth) }
    }

    /// Parses UTF-8 bytes (see ``parse(_:maxDepth:)``).
    public static func parse(bytes: UnsafeRawBufferPointer, maxDepth: Int = 512) throws -> JSONValue {
        var p = JSONParser(bytes: bytes, maxDepth: maxDepth)
        p.skipWhitespace()
        let v = try p.parseValue(depth: 0)
        p.skipWhitespace()
        if p.pos != bytes.count { throw p.error("unexpected data after the JSON value") }
        return v
    }

    /// Parses JSON lines: one document per non-empty line (a final newline is optional).
    public static func parseLines(_ text: String, maxDepth: Int = 512) throws -> [JSONValue] {
        var out: [JSONValue] = []
        var lineNo = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if trimmed.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            do {
                out.append(try parse(String(trimmed), maxDepth: maxDepth))
            } catch var e as LanceError {
                e.message = "line \(lineNo): " + e.message
                throw e
            }
        }
        return out
    }
}

struct JSONParser {
    let bytes: UnsafeRawBufferPointer
    let maxDepth: Int
    var pos = 0

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    func error(_ message: String) -> LanceError {
        LanceError(.invalidInput, "invalid JSON: \(message)", position: UInt64(pos))
    }

    mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    func peek() -> UInt8? { pos < bytes.count ? bytes[pos] : nil }

    mutating func expectLiteral(_ lit: StaticString, _ value: JSONValue) throws -> JSONValue {
        let n = lit.utf8CodeUnitCount
        guard pos + n <= bytes.count else { throw error("truncated literal") }
        let p = lit.utf8Start
        for i in 0 ..< n where bytes[pos + i] != p[i] { throw error("invalid literal") }
        pos += n
        return value
    }

    mutating func parseValue(depth: Int) throws -> JSONValue {
        guard let c = peek() else { throw error("unexpected end of input") }
        switch c {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expectLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try expectLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try expectLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character '\(Unicode.Scalar(c))'")
        }
    }

    mutating func parseObject(depth: Int) throws -> JSONValue {
        if depth > maxDepth { throw error("nesting deeper than \(maxDepth)") }
        pos += 1
        var obj = JSONObject()
        var seen = Set<String>()
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            pos += 1
            return .object(obj)
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseString()
            guard seen.insert(key).inserted else { throw error("duplicate key \"\(key)\"") }
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw error("expected ':'") }
            pos += 1
            skipWhitespace()
            obj.append(key, try parseValue(depth: depth))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): pos += 1
            case UInt8(ascii: "}"): pos += 1; return .object(obj)
            default: throw error("expected ',' or '}'")
            }
        }
    }

    mutating func parseArray(depth: Int) throws -> JSONValue {
        if depth > maxDepth { throw error("nesting deeper than \(maxDepth)") }
        pos += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            pos += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): pos += 1
            case UInt8(ascii: "]"): pos += 1; return .array(items)
            default: throw error("expected ',' or ']'")
            }
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard pos + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0 ..< 4 {
            let c = bytes[pos]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a") ... UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A") ... UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw error("invalid hex digit in \\u escape")
            }
            v = v << 4 | UInt32(d)
            pos += 1
        }
        return v
    }

    mutating func parseString() throws -> String {
        pos += 1  // opening quote
        var out: [UInt8] = []
        var runStart = pos
        while true {
            guard pos < bytes.count else { throw error("unterminated string") }
            let c = bytes[pos]
            if c == UInt8(ascii: "\"") {
                out.append(contentsOf: bytes[runStart ..< pos])
                pos += 1
                break
            }
            if c < 0x20 { throw error("unescaped control character in a string") }
            if c != UInt8(ascii: "\\") {
                pos += 1
                continue
            }
            out.append(contentsOf: bytes[runStart ..< pos])
            pos += 1
            guard pos < bytes.count else { throw error("unterminated escape") }
            let e = bytes[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard pos + 2 <= bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u")
                    else { throw error("lone high surrogate in \\u escape") }
                    pos += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else { throw error("invalid low surrogate in \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw error("lone low surrogate in \\u escape")
                }
                appendUTF8(Unicode.Scalar(scalar)!, to: &out)
            default:
                throw error("invalid escape '\\\(Unicode.Scalar(e))'")
            }
            runStart = pos
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw error("string is not valid UTF-8") }
        return s
    }

    func appendUTF8(_ s: Unicode.Scalar, to out: inout [UInt8]) {
        for b in UTF8.encode(s)! { out.append(b) }
    }

    mutating func parseNumber() throws -> JSONValue {
        let start = pos
        var negative = false
        if bytes[pos] == UInt8(ascii: "-") {
            negative = true
            pos += 1
        }
        func isDigit(_ c: UInt8?) -> Bool { c.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
        guard isDigit(peek()) else { throw error("expected a digit") }
        if peek() == UInt8(ascii: "0") {
            pos += 1
            if isDigit(peek()) { throw error("leading zero in a number") }
        } else {
            while isDigit(peek()) { pos += 1 }
        }
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            pos += 1
            guard isDigit(peek()) else { throw error("expected a digit after '.'") }
            while isDigit(peek()) { pos += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            isInteger = false
            pos += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { pos += 1 }
            guard isDigit(peek()) else { throw error("expected a digit in the exponent") }
            while isDigit(peek()) { pos += 1 }
        }
        let text = String(decoding: bytes[start ..< pos], as: UTF8.self)
        if isInteger {
            if negative {
                if let v = Int64(text) { return .int(v) }
            } else if let v = UInt64(text) {
                return .integer(v)
            }
            // out of 64-bit range: keep it as a double
        }
        guard let d = Double(text) else { throw error("invalid number \(text)") }
        return .double(d)
    }
}
