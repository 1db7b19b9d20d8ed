import LanceArrow
import LanceCore

/// Text of single values for the CSV and table formats, built on the shared JSON rendering.
enum ValueText {
    /// A cell's text: nil for null, strings raw, binary as base64 (or `<N bytes>`), numbers as in
    /// JSON (NaN and infinities unquoted), nested values as their JSON.
    static func plainText(_ a: ArrayData, _ i: Int, binaryAsSize: Bool) throws -> String? {
        if binaryAsSize, a.isValid(i) {
            switch a.type {
            case .binary, .largeBinary: return "<\(a.valueRange(i).count) bytes>"
            case .fixedSizeBinary(let w): return "<\(w) bytes>"
            default: break
            }
        }
        return plainText(of: try a.jsonValue(at: i))
    }

    static func plainText(of v: JSONValue) -> String? {
        switch v {
        case .null: return nil
        case .string(let s): return s
        case .double(let d):
            if d.isNaN { return "NaN" }
            if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
            return v.serialized()
        default: return v.serialized()
        }
    }

    static func jsonString(_ s: String) -> String { JSONValue.string(s).serialized() }
}
