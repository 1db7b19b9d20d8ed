import ArgumentParser
import Foundation
import Lance
import LanceArrow
import LanceCore

/// Helpers shared by the mutation commands (`add-columns`, `alter-columns`, `drop-columns`,
/// `merge`, `update`, `delete`, `merge-insert`).
enum EvolveCLI {
    /// Type names the commands accept: pyarrow's spelling (`int32`, `double`, `large_string`, …)
    /// plus a few aliases.
    static func parseType(_ text: String) throws -> DataType {
        let t = text.trimmingSpaces().lowercased()
        let aliases: [String: DataType] = ["float32": .float32, "float64": .float64, "utf8": .utf8, "str": .utf8,
                                           "large_utf8": .largeUtf8, "boolean": .bool, "float16": .float16,
                                           "date32": .date32]
        if let a = aliases[t] { return a }
        let candidates: [DataType] = [.bool, .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64,
                                      .float16, .float32, .float64, .utf8, .largeUtf8, .binary, .largeBinary, .date32]
        if let c = candidates.first(where: { $0.description == t }) { return c }
        throw ValidationError("unknown type `\(text)` (expected one of \(candidates.map(\.description).joined(separator: ", ")))")
    }

    /// Splits `a:b` (or `a=b` with `separator: "="`) at the first separator.
    static func pair(_ s: String, separator: Character, option: String) throws -> (String, String) {
        guard let i = s.firstIndex(of: separator) else {
            throw ValidationError("\(option) expects `a\(separator)b` (got `\(s)`)")
        }
        let a = String(s[..<i]).trimmingSpaces(), b = String(s[s.index(after: i)...]).trimmingSpaces()
        guard !a.isEmpty, !b.isEmpty else { throw ValidationError("\(option) expects `a\(separator)b` (got `\(s)`)") }
        return (a, b)
    }

    /// Reads rows from an Arrow IPC file or stream (`.arrow`, `.arrows`, `.ipc`, `.feather`) or JSON
    /// lines (`.jsonl`, `.ndjson`). JSON columns take the type of the dataset's column of that name,
    /// else integer → int64, number → double, string → string, boolean → bool.
    static func readRows(_ path: String, like schema: Schema) throws -> [RecordBatch] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LanceError.notFound("cannot read `\(path)`", path: path)
        }
        let bytes = [UInt8](data)
        let lower = path.lowercased()
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") || lower.hasSuffix(".json") {
            return [try jsonRows(String(decoding: bytes, as: UTF8.self), like: schema, path: path)]
        }
        if bytes.starts(with: Array("ARROW1".utf8)) {
            return try ArrowIPCFileReader(bytes: bytes).recordBatches()
        }
        return try ArrowIPCStreamReader.read(bytes: bytes).batches
    }

    static func jsonRows(_ text: String, like schema: Schema, path: String) throws -> RecordBatch {
        let rows = try JSONValue.parseLines(text)
        var names: [String] = []
        for r in rows {
            guard let o = r.objectValue else { throw LanceError.invalid("every line of `\(path)` must be a JSON object") }
            for k in o.keys where !names.contains(k) { names.append(k) }
        }
        var fields: [Field] = []
        var columns: [ArrayData] = []
        for name in names {
            let values = rows.map { $0.objectValue?[name] ?? .null }
            let type: DataType
            if let k = schema.index(of: name) {
                type = schema.fields[k].type
            } else if values.allSatisfy({ if case .int = $0 { return true }; return $0.isNull }) {
                type = .int64
            } else if values.allSatisfy({ switch $0 { case .int, .double, .uint, .null: return true; default: return false } }) {
                type = .float64
            } else if values.allSatisfy({ $0.boolValue != nil || $0.isNull }) {
                type = .bool
            } else {
                type = .utf8
            }
            fields.append(Field(name, type, nullable: true))
            columns.append(try column(values, type, name: name, path: path))
        }
        return try RecordBatch(schema: Schema(fields), columns: columns)
    }

    static func column(_ values: [JSONValue], _ type: DataType, name: String, path: String) throws -> ArrayData {
        func bad(_ v: JSONValue) -> LanceError {
            LanceError(.invalidInput, "value \(v.serialized()) of `\(name)` in `\(path)` is not a \(type)", column: name)
        }
        func ints<T: FixedWidthInteger & BitwiseCopyable>(_: T.Type) throws -> ArrayData {
            .primitive(type, try values.map { v -> T? in
                switch v {
                case .null: return nil
                case .int(let i): guard let x = T(exactly: i) else { throw bad(v) }; return x
                case .uint(let u): guard let x = T(exactly: u) else { throw bad(v) }; return x
                default: throw bad(v)
                }
            })
        }
        func number(_ v: JSONValue) throws -> Double? {
            switch v {
            case .null: return nil
            case .int(let i): return Double(i)
            case .uint(let u): return Double(u)
            case .double(let d): return d
            case .string("NaN"): return .nan
            case .string("Infinity"): return .infinity
            case .string("-Infinity"): return -.infinity
            default: throw bad(v)
            }
        }
        switch type {
        case .int8: return try ints(Int8.self)
        case .int16: return try ints(Int16.self)
        case .int32: return try ints(Int32.self)
        case .int64: return try ints(Int64.self)
        case .uint8: return try ints(UInt8.self)
        case .uint16: return try ints(UInt16.self)
        case .uint32: return try ints(UInt32.self)
        case .uint64: return try ints(UInt64.self)
        case .float64: return .primitive(.float64, try values.map(number))
        case .float32: return .primitive(.float32, try values.map { try number($0).map(Float.init) })
        case .bool: return .bools(try values.map { v in if v.isNull { return nil }; guard let b = v.boolValue else { throw bad(v) }; return b })
        case .utf8, .largeUtf8:
            let s = try values.map { v -> String? in if v.isNull { return nil }; guard let s = v.stringValue else { throw bad(v) }; return s }
            return .strings(s, large: type == .largeUtf8)
        case .binary, .largeBinary:
            return .binaries(try values.map { v in if v.isNull { return nil }; guard let s = v.stringValue else { throw bad(v) }; return try Base64.decode(s) },
                             type: type)
        default:
            throw LanceError(.unsupported, "reading `\(name)` (\(type)) from JSON lines is not supported; use an Arrow IPC file",
                             column: name)
        }
    }

    /// Prints the command's one-line JSON result.
    static func report(_ members: [(String, JSONValue)]) {
        print(JSONValue.object(JSONObject(members)).serialized())
    }
}
