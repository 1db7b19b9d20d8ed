import LanceArrow
import LanceCore

/// Renders Arrow values as the CLI prints them (JSON per CLI-JSON.md, CSV cells, table cells).
///
/// Temporary home of the JSON value rendering until the shared renderer in LanceArrow lands.
enum ValueText {
    // MARK: JSON

    /// Appends the JSON rendering of value `i` of `a`.
    static func appendJSON(_ a: ArrayData, _ i: Int, into out: inout [UInt8]) {
        if a.isNull(i) {
            append("null", &out)
            return
        }
        switch a.type {
        case .null: append("null", &out)
        case .bool: append(a.boolValue(i) ? "true" : "false", &out)
        case .int8: appendInt(Int64(a.value(i, as: Int8.self)), &out)
        case .int16: appendInt(Int64(a.value(i, as: Int16.self)), &out)
        case .int32, .date32: appendInt(Int64(a.value(i, as: Int32.self)), &out)
        case .int64, .date64, .timestamp: appendInt(a.value(i, as: Int64.self), &out)
        case .uint8: appendUInt(UInt64(a.value(i, as: UInt8.self)), &out)
        case .uint16: appendUInt(UInt64(a.value(i, as: UInt16.self)), &out)
        case .uint32: appendUInt(UInt64(a.value(i, as: UInt32.self)), &out)
        case .uint64: appendUInt(a.value(i, as: UInt64.self), &out)
        case .float16: appendDouble(Double(halfToFloat(a.value(i, as: UInt16.self))), &out)
        case .float32: appendDouble(Double(a.value(i, as: Float.self)), &out)
        case .float64: appendDouble(a.value(i, as: Double.self), &out)
        case .utf8, .largeUtf8:
            let r = a.valueRange(i)
            a.buffers[1].slice(r).withUnsafeBytes { appendJSONString($0, &out) }
        case .binary, .largeBinary, .fixedSizeBinary:
            out.append(0x22)
            appendBase64(a, i, &out)
            out.append(0x22)
        case .decimal128(_, let scale):
            out.append(0x22)
            append(decimalString(a.value(i, as: Int128.self), scale: scale), &out)
            out.append(0x22)
        case .list, .largeList, .fixedSizeList:
            let (child, range) = listItems(a, i)
            out.append(0x5B)
            var first = true
            for k in range {
                if !first { out.append(0x2C) }
                first = false
                appendJSON(child, k, into: &out)
            }
            out.append(0x5D)
        case .struct(let fields):
            out.append(0x7B)
            for (k, f) in fields.enumerated() {
                if k > 0 { out.append(0x2C) }
                appendJSONString(f.name, &out)
                out.append(0x3A)
                appendJSON(a.children[k], i, into: &out)
            }
            out.append(0x7D)
        case .dictionary:
            if let dict = a.dictionary, let k = dictionaryIndex(a, i), k >= 0, k < dict.count {
                appendJSON(dict, k, into: &out)
            } else {
                append("null", &out)
            }
        }
    }

    /// The JSON text of one value.
    static func json(_ a: ArrayData, _ i: Int) -> String {
        var out: [UInt8] = []
        appendJSON(a, i, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func listItems(_ a: ArrayData, _ i: Int) -> (ArrayData, Range<Int>) {
        if case .fixedSizeList(_, let n) = a.type { return (a.children[0], i * n ..< (i + 1) * n) }
        return (a.children[0], a.valueRange(i))
    }

    static func dictionaryIndex(_ a: ArrayData, _ i: Int) -> Int? {
        guard case .dictionary(let index, _) = a.type else { return nil }
        switch index {
        case .int8: return Int(a.value(i, as: Int8.self))
        case .uint8: return Int(a.value(i, as: UInt8.self))
        case .int16: return Int(a.value(i, as: Int16.self))
        case .uint16: return Int(a.value(i, as: UInt16.self))
        case .int32: return Int(a.value(i, as: Int32.self))
        case .uint32: return Int(a.value(i, as: UInt32.self))
        case .int64: return Int(a.value(i, as: Int64.self))
        case .uint64: return Int(truncatingIfNeeded: a.value(i, as: UInt64.self))
        default: return nil
        }
    }

    @inline(__always) static func append(_ s: String, _ out: inout [UInt8]) { out.append(contentsOf: s.utf8) }

    static func appendInt(_ v: Int64, _ out: inout [UInt8]) {
        if v < 0 {
            out.append(0x2D)
            appendUInt(v.magnitude, &out)
        } else {
            appendUInt(UInt64(v), &out)
        }
    }

    static func appendUInt(_ v: UInt64, _ out: inout [UInt8]) {
        if v < 10 {
            out.append(0x30 + UInt8(v))
        } else {
            append(String(v), &out)
        }
    }

    /// Doubles as the shortest round-tripping text, integral values with `.0`; NaN/±inf as strings.
    static func appendDouble(_ d: Double, _ out: inout [UInt8]) {
        if d.isNaN { append("\"NaN\"", &out); return }
        if d.isInfinite { append(d > 0 ? "\"Infinity\"" : "\"-Infinity\"", &out); return }
        append(doubleText(d), &out)
    }

    static func doubleText(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
        return "\(d)"
    }

    static func appendJSONString(_ s: String, _ out: inout [UInt8]) {
        var s = s
        s.withUTF8 { appendJSONString(UnsafeRawBufferPointer($0), &out) }
    }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func appendJSONString(_ bytes: UnsafeRawBufferPointer, _ out: inout [UInt8]) {
        out.append(0x22)
        var runStart = 0
        for (k, c) in bytes.enumerated() where c < 0x20 || c == 0x22 || c == 0x5C {
            out.append(contentsOf: bytes[runStart ..< k])
            runStart = k + 1
            switch c {
            case 0x22: append("\\\"", &out)
            case 0x5C: append("\\\\", &out)
            case 0x0A: append("\\n", &out)
            case 0x0D: append("\\r", &out)
            case 0x09: append("\\t", &out)
            case 0x08: append("\\b", &out)
            case 0x0C: append("\\f", &out)
            default:
                append("\\u00", &out)
                out.append(hex[Int(c >> 4)])
                out.append(hex[Int(c & 15)])
            }
        }
        out.append(contentsOf: bytes[runStart...])
        out.append(0x22)
    }

    static let base64Alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func binaryBytes(_ a: ArrayData, _ i: Int) -> Buffer {
        if case .fixedSizeBinary(let w) = a.type { return a.buffers[0].slice(i * w, w) }
        return a.buffers[1].slice(a.valueRange(i))
    }

    static func appendBase64(_ a: ArrayData, _ i: Int, _ out: inout [UInt8]) {
        binaryBytes(a, i).withUnsafeBytes { appendBase64($0, &out) }
    }

    static func appendBase64(_ b: UnsafeRawBufferPointer, _ out: inout [UInt8]) {
        let t = base64Alphabet
        var k = 0
        out.reserveCapacity(out.count + (b.count + 2) / 3 * 4)
        while k + 3 <= b.count {
            let v = UInt32(b[k]) << 16 | UInt32(b[k + 1]) << 8 | UInt32(b[k + 2])
            out.append(t[Int(v >> 18 & 63)]); out.append(t[Int(v >> 12 & 63)])
            out.append(t[Int(v >> 6 & 63)]); out.append(t[Int(v & 63)])
            k += 3
        }
        let rest = b.count - k
        if rest == 1 {
            let v = UInt32(b[k]) << 16
            out.append(t[Int(v >> 18 & 63)]); out.append(t[Int(v >> 12 & 63)])
            out.append(0x3D); out.append(0x3D)
        } else if rest == 2 {
            let v = UInt32(b[k]) << 16 | UInt32(b[k + 1]) << 8
            out.append(t[Int(v >> 18 & 63)]); out.append(t[Int(v >> 12 & 63)]); out.append(t[Int(v >> 6 & 63)])
            out.append(0x3D)
        }
    }

    /// An IEEE half-precision bit pattern as a Float.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign: UInt32 = UInt32(h & 0x8000) << 16
        let exp = Int((h >> 10) & 0x1F)
        let mant = UInt32(h & 0x3FF)
        if exp == 0 {
            // Zero or subnormal: mant * 2^-24.
            let v = Float(mant) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -v : v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | mant << 13) }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | mant << 13)
    }

    /// A decimal128 value as text with `scale` fractional digits.
    static func decimalString(_ v: Int128, scale: Int) -> String {
        let negative = v < 0
        var digits = String(v.magnitude)
        if scale <= 0 {
            if v != 0 { digits += String(repeating: "0", count: -scale) }
            return (negative ? "-" : "") + digits
        }
        if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
        let cut = digits.index(digits.endIndex, offsetBy: -scale)
        return (negative ? "-" : "") + digits[..<cut] + "." + digits[cut...]
    }

    // MARK: CSV and table cells

    /// A CSV cell (unquoted; quoting is applied by the caller): empty for null, JSON for nested values.
    static func plainText(_ a: ArrayData, _ i: Int, binaryAsSize: Bool) -> String? {
        if a.isNull(i) { return nil }
        switch a.type {
        case .utf8, .largeUtf8: return a.string(i)
        case .binary, .largeBinary, .fixedSizeBinary:
            if binaryAsSize { return "<\(binaryBytes(a, i).count) bytes>" }
            var out: [UInt8] = []
            appendBase64(a, i, &out)
            return String(decoding: out, as: UTF8.self)
        case .float16: return doubleText(Double(halfToFloat(a.value(i, as: UInt16.self))))
        case .float32: return doubleText(Double(a.value(i, as: Float.self)))
        case .float64: return doubleText(a.value(i, as: Double.self))
        case .decimal128(_, let scale): return decimalString(a.value(i, as: Int128.self), scale: scale)
        case .dictionary:
            if let dict = a.dictionary, let k = dictionaryIndex(a, i), k >= 0, k < dict.count {
                return plainText(dict, k, binaryAsSize: binaryAsSize)
            }
            return nil
        default: return json(a, i)
        }
    }
}
