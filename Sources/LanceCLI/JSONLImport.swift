import LanceArrow
import LanceCore

/// JSON lines → record batches, and the schema file format of `create --schema`.
///
/// Schema file (JSON): an array of fields, or an object with the array under `"schema"` or
/// `"fields"` — so `lancelet info --json` output is itself a valid schema file. Each field is
/// `{"name": "a", "type": "int64", "nullable": true}`, types spelled as pyarrow prints them
/// (`DataType.description`): `bool`, `int8`…`uint64`, `halffloat`/`float`/`double` (also
/// `float16/32/64`), `string`, `large_string`, `binary`, `large_binary`, `fixed_size_binary[N]`,
/// `date32[day]`, `date64[ms]`, `timestamp[us]`, `timestamp[ns, tz=UTC]`, `list<item: T>`,
/// `large_list<item: T>`, `fixed_size_list<item: T>[N]`, `struct<a: T, b: U>`,
/// `dictionary<values=T, indices=I, ordered=0>`; a child type may end in ` not null`.
///
/// Values follow the `scan` JSON contract: binary as base64, dates and timestamps as integers,
/// NaN/±Infinity as the strings "NaN"/"Infinity"/"-Infinity", nested values as arrays/objects.
enum JSONLImport {
    static func error(_ m: String) -> LanceError { LanceError(.invalidInput, m) }

    // MARK: - Schema file

    static func parseSchemaFile(_ bytes: [UInt8]) throws -> Schema {
        let root = try JSONValue.parse(bytes)
        let list = root.arrayValue ?? root["schema"]?.arrayValue ?? root["fields"]?.arrayValue
        guard let list else { throw error("a schema file holds an array of fields, or an object with \"schema\" or \"fields\"") }
        return Schema(try list.map { f in
            guard let name = f["name"]?.stringValue, let type = f["type"]?.stringValue else {
                throw error("each schema field needs a \"name\" and a \"type\" string")
            }
            return Field(name, try parseType(type), nullable: f["nullable"]?.boolValue ?? true)
        })
    }

    /// Parses a type spelled as pyarrow prints it.
    static func parseType(_ text: String) throws -> DataType {
        var p = TypeParser(chars: Array(text), pos: 0)
        let t = try p.type()
        p.spaces()
        guard p.pos == p.chars.count else { throw error("unexpected text after type in `\(text)`") }
        return t
    }

    struct TypeParser {
        let chars: [Character]
        var pos: Int

        mutating func spaces() { while pos < chars.count, chars[pos] == " " { pos += 1 } }

        mutating func word() -> String {
            spaces()
            var s = ""
            while pos < chars.count, chars[pos].isLetter || chars[pos].isNumber || chars[pos] == "_" || chars[pos] == "/" {
                s.append(chars[pos])
                pos += 1
            }
            return s
        }

        mutating func eat(_ c: Character) -> Bool {
            spaces()
            if pos < chars.count, chars[pos] == c { pos += 1; return true }
            return false
        }

        mutating func expect(_ c: Character) throws {
            guard eat(c) else { throw JSONLImport.error("expected `\(c)` at position \(pos) of type `\(String(chars))`") }
        }

        mutating func int() throws -> Int {
            let w = word()
            guard let v = Int(w) else { throw JSONLImport.error("expected a number in type `\(String(chars))`") }
            return v
        }

        /// `name: type [not null]` inside list<…> and struct<…>.
        mutating func field() throws -> Field {
            spaces()
            var name = ""
            while pos < chars.count, chars[pos] != ":" { name.append(chars[pos]); pos += 1 }
            try expect(":")
            let t = try type()
            let save = pos
            if word() == "not", word() == "null" { return Field(name.trimmingSpaces(), t, nullable: false) }
            pos = save
            return Field(name.trimmingSpaces(), t)
        }

        mutating func type() throws -> DataType {
            let w = word()
            switch w {
            case "null": return .null
            case "bool", "boolean": return .bool
            case "int8": return .int8
            case "int16": return .int16
            case "int32": return .int32
            case "int64": return .int64
            case "uint8": return .uint8
            case "uint16": return .uint16
            case "uint32": return .uint32
            case "uint64": return .uint64
            case "halffloat", "float16": return .float16
            case "float", "float32": return .float32
            case "double", "float64": return .float64
            case "string", "utf8": return .utf8
            case "large_string", "large_utf8": return .largeUtf8
            case "binary": return .binary
            case "large_binary": return .largeBinary
            case "fixed_size_binary":
                try expect("[")
                let n = try int()
                try expect("]")
                return .fixedSizeBinary(n)
            case "date32":
                if eat("[") { _ = word(); try expect("]") }
                return .date32
            case "date64":
                if eat("[") { _ = word(); try expect("]") }
                return .date64
            case "timestamp":
                try expect("[")
                guard let unit = TimeUnit(rawValue: word()) else { throw JSONLImport.error("unknown time unit in `\(String(chars))`") }
                var tz: String?
                if eat(",") {
                    guard word() == "tz" else { throw JSONLImport.error("expected tz= in `\(String(chars))`") }
                    try expect("=")
                    spaces()
                    var s = ""
                    while pos < chars.count, chars[pos] != "]" { s.append(chars[pos]); pos += 1 }
                    tz = s.trimmingSpaces()
                }
                try expect("]")
                return .timestamp(unit, timezone: tz)
            case "decimal128":
                try expect("(")
                let p = try int()
                try expect(",")
                let s = try int()
                try expect(")")
                return .decimal128(precision: p, scale: s)
            case "list", "large_list", "fixed_size_list":
                try expect("<")
                let f = try field()
                try expect(">")
                if w == "list" { return .list(f) }
                if w == "large_list" { return .largeList(f) }
                try expect("[")
                let n = try int()
                try expect("]")
                return .fixedSizeList(f, n)
            case "struct":
                try expect("<")
                var fs: [Field] = []
                if !eat(">") {
                    repeat { fs.append(try field()) } while eat(",")
                    try expect(">")
                }
                return .struct(fs)
            case "dictionary":
                try expect("<")
                var values: DataType?, indices: DataType = .int32
                repeat {
                    let key = word()
                    try expect("=")
                    switch key {
                    case "values": values = try type()
                    case "indices": indices = try type()
                    default: _ = word()
                    }
                } while eat(",")
                try expect(">")
                guard let values else { throw JSONLImport.error("dictionary type without values in `\(String(chars))`") }
                return .dictionary(index: indices, value: values)
            default:
                throw JSONLImport.error("unknown type `\(w)` in `\(String(chars))`")
            }
        }
    }

    // MARK: - Inference

    /// A schema inferred from sample rows: integers → int64, numbers → double, strings → string,
    /// booleans → bool, arrays → list, objects → struct; keys in first-seen order.
    static func inferSchema(_ rows: [JSONValue]) throws -> Schema {
        var names: [String] = []
        var samples: [String: [JSONValue]] = [:]
        for r in rows {
            guard let o = r.objectValue else { throw error("every JSON line must be an object") }
            for (k, v) in o {
                if samples[k] == nil { names.append(k) }
                samples[k, default: []].append(v)
            }
        }
        return Schema(names.map { Field($0, infer(samples[$0] ?? [])) })
    }

    static func infer(_ values: [JSONValue]) -> DataType {
        var sawInt = false, sawDouble = false, sawBool = false, sawString = false
        var arrays: [JSONValue] = [], objects: [JSONObject] = []
        for v in values {
            switch v {
            case .null: break
            case .bool: sawBool = true
            case .int, .uint: sawInt = true
            case .double: sawDouble = true
            case .string(let s): if ["NaN", "Infinity", "-Infinity"].contains(s) { sawDouble = true } else { sawString = true }
            case .array(let a): arrays.append(contentsOf: a)
            case .object(let o): objects.append(o)
            }
        }
        if values.contains(where: { if case .array = $0 { return true } else { return false } }) {
            return .list(Field("item", infer(arrays)))
        }
        if !objects.isEmpty {
            var names: [String] = []
            var sub: [String: [JSONValue]] = [:]
            for o in objects {
                for (k, v) in o {
                    if sub[k] == nil { names.append(k) }
                    sub[k, default: []].append(v)
                }
            }
            return .struct(names.map { Field($0, infer(sub[$0] ?? [])) })
        }
        if sawString { return .utf8 }
        if sawDouble { return .float64 }
        if sawInt { return .int64 }
        if sawBool { return .bool }
        return .utf8
    }

    // MARK: - Building columns

    static func batch(_ rows: [JSONValue], schema: Schema, firstLine: Int) throws -> RecordBatch {
        var columns: [ArrayData] = []
        for f in schema.fields {
            var values: [JSONValue] = []
            values.reserveCapacity(rows.count)
            for (k, r) in rows.enumerated() {
                guard let o = r.objectValue else { throw error("line \(firstLine + k): not a JSON object") }
                values.append(o[f.name] ?? .null)
            }
            do {
                columns.append(try build(values, f.type))
            } catch let e as LanceError {
                throw LanceError(e.code, "field `\(f.name)` (lines \(firstLine)…\(firstLine + rows.count - 1)): \(e.message)",
                                 column: f.name)
            }
        }
        return try RecordBatch(schema: schema, columns: columns)
    }

    static func validity(_ values: [JSONValue]) -> [Bool]? {
        let v = values.map { !$0.isNull }
        return v.allSatisfy { $0 } ? nil : v
    }

    static func int<T: FixedWidthInteger>(_ v: JSONValue, _: T.Type) throws -> T {
        switch v {
        case .int(let x): if let y = T(exactly: x) { return y }
        case .uint(let x): if let y = T(exactly: x) { return y }
        case .double(let d): if let y = T(exactly: d) { return y }
        default: break
        }
        throw error("\(v.kindName) value is not a \(T.self)")
    }

    static func double(_ v: JSONValue) throws -> Double {
        guard let d = v.doubleValue else { throw error("\(v.kindName) value is not a number") }
        return d
    }

    /// A decimal128 value (a string such as `"-12.50"`, as `scan` renders decimals, or a JSON number)
    /// as its unscaled integer. More fraction digits than `scale` or more digits than `precision`
    /// are errors, never rounded.
    static func decimal(_ v: JSONValue, precision: Int, scale: Int) throws -> Int128 {
        let text: String
        switch v {
        case .string(let s): text = s
        case .int(let x): text = String(x)
        case .uint(let x): text = String(x)
        case .double(let d) where d.isFinite: text = "\(d)"
        default: throw error("\(v.kindName) value is not a decimal")
        }
        let bad = error("`\(text)` is not a decimal(\(precision), \(scale))")
        var chars = Substring(text.trimmingSpaces())
        var negative = false
        if chars.first == "-" || chars.first == "+" { negative = chars.removeFirst() == "-" }
        var digits: [Int] = []
        var exponent = 0
        var seenDot = false
        while let c = chars.first, c.isASCII, c.isNumber || c == "." {
            chars.removeFirst()
            if c == "." { guard !seenDot else { throw bad }; seenDot = true; continue }
            digits.append(Int(c.asciiValue! - 48))
            if seenDot { exponent -= 1 }
        }
        guard !digits.isEmpty else { throw bad }
        if let e = chars.first, e == "e" || e == "E" {
            chars.removeFirst()
            guard let x = Int(chars), abs(x) < 1000 else { throw bad }
            exponent += x
            chars = ""
        }
        guard chars.isEmpty else { throw bad }
        // value = digits × 10^exponent; the stored integer is value × 10^scale.
        var shift = exponent + scale
        while shift < 0 {
            guard let last = digits.last, last == 0 else {
                throw error("`\(text)` has more than \(scale) fraction digits for decimal(\(precision), \(scale))")
            }
            digits.removeLast(); shift += 1
            if digits.isEmpty { digits = [0] }
        }
        digits += [Int](repeating: 0, count: shift)
        while digits.count > 1 && digits[0] == 0 { digits.removeFirst() }
        guard digits.count <= precision, precision <= 38 else {
            throw error("`\(text)` has more than \(precision) digits for decimal(\(precision), \(scale))")
        }
        var x: Int128 = 0
        for d in digits { x = x * 10 + Int128(d) }
        return negative ? -x : x
    }

    static func build(_ values: [JSONValue], _ type: DataType) throws -> ArrayData {
        func ints<T: FixedWidthInteger & BitwiseCopyable>(_: T.Type) throws -> ArrayData {
            .primitive(type, try values.map { $0.isNull ? nil : try int($0, T.self) })
        }
        switch type {
        case .null: return .nulls(.null, count: values.count)
        case .bool:
            return .bools(try values.map { v in
                if v.isNull { return nil }
                guard let b = v.boolValue else { throw error("\(v.kindName) value is not a bool") }
                return b
            })
        case .int8: return try ints(Int8.self)
        case .int16: return try ints(Int16.self)
        case .int32, .date32: return try ints(Int32.self)
        case .int64, .date64, .timestamp: return try ints(Int64.self)
        case .uint8: return try ints(UInt8.self)
        case .uint16: return try ints(UInt16.self)
        case .uint32: return try ints(UInt32.self)
        case .uint64: return try ints(UInt64.self)
        case .float16:
            #if arch(x86_64) || arch(arm64)
            let bits: [UInt16?] = try values.map { $0.isNull ? nil : Float16(try double($0)).bitPattern }
            return .primitive(.float16, bits)
            #else
            throw LanceError.unsupported("halffloat import on this platform")
            #endif
        case .float32: return .primitive(.float32, try values.map { $0.isNull ? nil : Float(try double($0)) })
        case .float64: return .primitive(.float64, try values.map { $0.isNull ? nil : try double($0) })
        case .utf8, .largeUtf8:
            return .binaries(try values.map { v -> [UInt8]? in
                if v.isNull { return nil }
                guard let s = v.stringValue else { throw error("\(v.kindName) value is not a string") }
                return Array(s.utf8)
            }, type: type)
        case .binary, .largeBinary:
            return .binaries(try values.map { v -> [UInt8]? in
                if v.isNull { return nil }
                guard let s = v.stringValue else { throw error("\(v.kindName) value is not a base64 string") }
                return try Base64.decode(s)
            }, type: type)
        case .fixedSizeBinary(let n):
            var bytes: [UInt8] = []
            bytes.reserveCapacity(n * values.count)
            for v in values {
                if v.isNull { bytes += [UInt8](repeating: 0, count: n); continue }
                guard let s = v.stringValue else { throw error("\(v.kindName) value is not a base64 string") }
                let b = try Base64.decode(s)
                guard b.count == n else { throw error("fixed_size_binary[\(n)] value of \(b.count) bytes") }
                bytes += b
            }
            return ArrayData(type: type, count: values.count, validity: validity(values).map { Bitmap($0) },
                             buffers: [Buffer(bytes)])
        case .decimal128(let precision, let scale):
            var bytes: [UInt8] = []
            bytes.reserveCapacity(16 * values.count)
            for v in values {
                let x = v.isNull ? 0 : try decimal(v, precision: precision, scale: scale)
                withUnsafeBytes(of: x.littleEndian) { bytes.append(contentsOf: $0) }
            }
            return ArrayData(type: type, count: values.count, validity: validity(values).map { Bitmap($0) },
                             buffers: [Buffer(bytes)])
        case .list(let f), .largeList(let f):
            var items: [JSONValue] = []
            var offsets: [Int64] = [0]
            for v in values {
                if case .array(let a) = v { items += a } else if !v.isNull { throw error("\(v.kindName) value is not an array") }
                offsets.append(Int64(items.count))
            }
            let child = try build(items, f.type)
            if case .largeList = type {
                return .list(child, offsets: offsets, validity: validity(values), large: true, itemName: f.name,
                             itemNullable: f.nullable)
            }
            return .list(child, offsets: offsets, validity: validity(values), itemName: f.name, itemNullable: f.nullable)
        case .fixedSizeList(let f, let n):
            var items: [JSONValue] = []
            items.reserveCapacity(n * values.count)
            for v in values {
                if case .array(let a) = v {
                    guard a.count == n else { throw error("a fixed_size_list[\(n)] value has \(a.count) items") }
                    items += a
                } else if v.isNull {
                    items += [JSONValue](repeating: .null, count: n)
                } else {
                    throw error("\(v.kindName) value is not an array")
                }
            }
            let child = try build(items, f.type)
            return .fixedSizeList(child, size: n, validity: validity(values), itemName: f.name, itemNullable: f.nullable)
        case .struct(let fs):
            var members: [(Field, ArrayData)] = []
            for f in fs {
                let sub = try values.map { v -> JSONValue in
                    if case .object(let o) = v { return o[f.name] ?? .null }
                    if v.isNull { return .null }
                    throw error("\(v.kindName) value is not an object")
                }
                members.append((f, try build(sub, f.type)))
            }
            return .structure(members, count: values.count, validity: validity(values))
        case .dictionary(let index, let valueType):
            var keys: [String: Int] = [:]
            var uniques: [JSONValue] = []
            var codes: [Int] = []
            for v in values {
                if v.isNull { codes.append(0); continue }
                let key = "\(v)"
                if let c = keys[key] { codes.append(c); continue }
                keys[key] = uniques.count
                codes.append(uniques.count)
                uniques.append(v)
            }
            let dict = try build(uniques, valueType)
            let indexArray: ArrayData
            switch index {
            case .int8: indexArray = .primitive(index, values: codes.map { Int8($0) })
            case .int16: indexArray = .primitive(index, values: codes.map { Int16($0) })
            case .int32: indexArray = .primitive(index, values: codes.map { Int32($0) })
            case .int64: indexArray = .primitive(index, values: codes.map { Int64($0) })
            case .uint8: indexArray = .primitive(index, values: codes.map { UInt8($0) })
            case .uint16: indexArray = .primitive(index, values: codes.map { UInt16($0) })
            case .uint32: indexArray = .primitive(index, values: codes.map { UInt32($0) })
            case .uint64: indexArray = .primitive(index, values: codes.map { UInt64($0) })
            default: throw error("dictionary indices of type \(index)")
            }
            guard uniques.count <= (index.byteWidth.map { $0 >= 8 ? Int.max : 1 << ($0 * 8 - 1) } ?? Int.max) else {
                throw error("\(uniques.count) distinct values do not fit dictionary indices of type \(index)")
            }
            return ArrayData(type: type, count: values.count, validity: validity(values).map { Bitmap($0) },
                             buffers: indexArray.buffers, dictionary: dict)
        }
    }
}
