import LanceCore

extension ArrayData {
    /// The `i`-th value as JSON per the CLI contract (CLI-JSON.md): integers as integers, floats
    /// (float16/32 widened) as doubles, strings as strings, binary as base64, lists as arrays,
    /// structs as objects, dictionaries decoded, dates/timestamps as integers in their unit,
    /// decimal128 as its decimal string, nulls as null.
    ///
    /// Checks every offset, index and buffer size it reads and throws `LanceError(.corruptFile)`
    /// instead of trapping on a malformed array.
    public func jsonValue(at i: Int) throws -> JSONValue {
        guard i >= 0 && i < count else {
            throw LanceError(.internal, "row \(i) out of range 0..<\(count)")
        }
        if case .null = type { return .null }
        if let validity {
            guard validity.count == count else { throw LanceError.corrupt("validity bitmap has \(validity.count) bits for \(count) values") }
            if !validity[i] { return .null }
        }
        switch type {
        case .null:
            return .null
        case .bool:
            let bit = boolOffset + i
            let b = try buffer(0, minBytes: bit / 8 + 1)
            return .bool(b[bit >> 3] & UInt8(1 << (bit & 7)) != 0)
        case .int8: return .int(Int64(try fixed(Int8.self, i)))
        case .int16: return .int(Int64(try fixed(Int16.self, i)))
        case .int32: return .int(Int64(try fixed(Int32.self, i)))
        case .int64: return .int(try fixed(Int64.self, i))
        case .uint8: return .int(Int64(try fixed(UInt8.self, i)))
        case .uint16: return .int(Int64(try fixed(UInt16.self, i)))
        case .uint32: return .int(Int64(try fixed(UInt32.self, i)))
        case .uint64: return .integer(try fixed(UInt64.self, i))
        case .float16: return .double(halfToDouble(try fixed(UInt16.self, i)))
        case .float32: return .double(Double(try fixed(Float.self, i)))
        case .float64: return .double(try fixed(Double.self, i))
        case .date32: return .int(Int64(try fixed(Int32.self, i)))
        case .date64, .timestamp: return .int(try fixed(Int64.self, i))
        case .decimal128(_, let scale):
            let lo = try fixed(UInt64.self, 2 * i)
            let hi = try fixed(Int64.self, 2 * i + 1)
            return .string(decimalString(hi: hi, lo: lo, scale: scale))
        case .utf8, .largeUtf8:
            let r = try checkedValueRange(i)
            let data = try buffer(1, minBytes: r.upperBound)
            let bytes = data.slice(r).bytes
            // Invalid UTF-8 is replaced rather than rejected so that a scan can still show the row.
            return .string(String(decoding: bytes, as: UTF8.self))
        case .binary, .largeBinary:
            let r = try checkedValueRange(i)
            let data = try buffer(1, minBytes: r.upperBound)
            return .string(data.slice(r).withUnsafeBytes { Base64.encode($0) })
        case .fixedSizeBinary(let w):
            let data = try buffer(0, minBytes: (i + 1) * w)
            return .string(data.slice(i * w, w).withUnsafeBytes { Base64.encode($0) })
        case .list, .largeList:
            let r = try checkedValueRange(i)
            guard let child = children.first, r.upperBound <= child.count else {
                throw LanceError.corrupt("list offsets \(r) exceed \(children.first?.count ?? 0) items")
            }
            return .array(try r.map { try child.jsonValue(at: $0) })
        case .fixedSizeList(_, let n):
            guard let child = children.first, n >= 0, (i + 1) * n <= child.count else {
                throw LanceError.corrupt("fixed-size list has too few items")
            }
            return .array(try (i * n ..< (i + 1) * n).map { try child.jsonValue(at: $0) })
        case .struct(let fields):
            guard children.count == fields.count else {
                throw LanceError.corrupt("struct has \(children.count) children for \(fields.count) fields")
            }
            var obj = JSONObject()
            for (f, c) in zip(fields, children) {
                guard i < c.count else { throw LanceError.corrupt("struct member is shorter than the struct") }
                obj.append(f.name, try c.jsonValue(at: i))
            }
            return .object(obj)
        case .dictionary(let indexType, _):
            guard let dict = dictionary else { throw LanceError.corrupt("dictionary array without a dictionary") }
            let k: Int
            switch indexType {
            case .int8: k = Int(try fixed(Int8.self, i))
            case .int16: k = Int(try fixed(Int16.self, i))
            case .int32: k = Int(try fixed(Int32.self, i))
            case .int64: k = Int(try fixed(Int64.self, i))
            case .uint8: k = Int(try fixed(UInt8.self, i))
            case .uint16: k = Int(try fixed(UInt16.self, i))
            case .uint32: k = Int(try fixed(UInt32.self, i))
            case .uint64:
                let u = try fixed(UInt64.self, i)
                guard u < UInt64(Int.max) else { throw LanceError.corrupt("dictionary index \(u) out of range") }
                k = Int(u)
            default: throw LanceError.unsupported("dictionary index type \(indexType)")
            }
            guard k >= 0 && k < dict.count else {
                throw LanceError.corrupt("dictionary index \(k) out of range 0..<\(dict.count)")
            }
            return try dict.jsonValue(at: k)
        }
    }

    private func buffer(_ k: Int, minBytes: Int) throws -> Buffer {
        guard k < buffers.count else { throw LanceError.corrupt("\(type) array is missing buffer \(k)") }
        guard buffers[k].count >= minBytes else {
            throw LanceError.corrupt("\(type) buffer \(k) has \(buffers[k].count) bytes, needs \(minBytes)")
        }
        return buffers[k]
    }

    private func fixed<T: BitwiseCopyable>(_: T.Type, _ i: Int) throws -> T {
        let b = try buffer(0, minBytes: (i + 1) * MemoryLayout<T>.size)
        return b.load(T.self, at: i)
    }

    private func checkedValueRange(_ i: Int) throws -> Range<Int> {
        let lo: Int, hi: Int
        if type.hasLargeOffsets {
            let b = try buffer(0, minBytes: (i + 2) * 8)
            let a = b.load(Int64.self, at: i), z = b.load(Int64.self, at: i + 1)
            guard a >= 0, z >= a, z <= Int64(Int32.max) * 1024 else { throw LanceError.corrupt("invalid offsets \(a)..<\(z)") }
            lo = Int(a); hi = Int(z)
        } else {
            let b = try buffer(0, minBytes: (i + 2) * 4)
            let a = b.load(Int32.self, at: i), z = b.load(Int32.self, at: i + 1)
            guard a >= 0, z >= a else { throw LanceError.corrupt("invalid offsets \(a)..<\(z)") }
            lo = Int(a); hi = Int(z)
        }
        return lo ..< hi
    }
}

/// IEEE 754 binary16 bits to Double (exact).
func halfToDouble(_ bits: UInt16) -> Double {
    let sign: Double = bits & 0x8000 != 0 ? -1 : 1
    let exp = Int(bits >> 10 & 0x1F)
    let frac = Double(bits & 0x3FF)
    switch exp {
    case 0: return sign * frac * 0x1p-24
    case 31: return frac == 0 ? sign * .infinity : .nan
    default: return sign * (1 + frac / 1024) * Double(sign: .plus, exponent: exp - 15, significand: 1)
    }
}

/// The decimal text of a 128-bit two's-complement integer scaled by 10^-scale.
func decimalString(hi: Int64, lo: UInt64, scale: Int) -> String {
    let negative = hi < 0
    // magnitude as two UInt64 words
    var mhi = UInt64(bitPattern: hi), mlo = lo
    if negative {
        mlo = ~mlo &+ 1
        mhi = ~mhi &+ (mlo == 0 ? 1 : 0)
    }
    var digits: [UInt8] = []
    while mhi != 0 || mlo != 0 {
        // divide (mhi, mlo) by 10
        let qhi = mhi / 10
        let rhi = mhi % 10
        let (qlo, rlo) = UInt64(10).dividingFullWidth((high: rhi, low: mlo))
        mhi = qhi
        mlo = qlo
        digits.append(UInt8(ascii: "0") + UInt8(rlo))
    }
    if digits.isEmpty { digits = [UInt8(ascii: "0")] }
    digits.reverse()
    var s: [UInt8] = []
    if scale > 0 {
        if digits.count <= scale {
            digits = [UInt8](repeating: UInt8(ascii: "0"), count: scale - digits.count + 1) + digits
        }
        s = Array(digits[0 ..< digits.count - scale]) + [UInt8(ascii: ".")] + Array(digits[(digits.count - scale)...])
    } else {
        s = digits + [UInt8](repeating: UInt8(ascii: "0"), count: digits == [UInt8(ascii: "0")] ? 0 : -scale)
    }
    return (negative ? "-" : "") + String(decoding: s, as: UTF8.self)
}

extension RecordBatch {
    /// Row `i` as a JSON object: columns in schema order, then the `extra` members (e.g.
    /// `("_rowaddr", .integer(addr))`).
    public func jsonRow(_ i: Int, appending extra: [(String, JSONValue)] = []) throws -> JSONValue {
        var obj = JSONObject()
        for (f, c) in zip(schema.fields, columns) {
            do {
                obj.append(f.name, try c.jsonValue(at: i))
            } catch let e as LanceError {
                throw e.at(column: f.name)
            }
        }
        for (k, v) in extra { obj.append(k, v) }
        return .object(obj)
    }

    /// Appends every row as one compact JSON line (`{…}\n`) to `out`. Columns named `_rowaddr` or
    /// `_rowid` render like any other column, so a batch that carries them as trailing uint64
    /// columns prints them last, as the contract asks.
    public func writeJSONLines(to out: inout [UInt8]) throws {
        for i in 0 ..< count {
            try jsonRow(i).write(to: &out)
            out.append(0x0A)
        }
    }

    /// Every row as JSON lines (each line ends with a newline).
    public func jsonLines() throws -> String {
        var out: [UInt8] = []
        try writeJSONLines(to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

/// Renders rows of record batches as JSON per the CLI contract.
public enum RowRenderer {
    /// The row `i` of `batch` as a JSON object, with `_rowaddr` and `_rowid` appended when given.
    public static func row(_ batch: RecordBatch, _ i: Int, rowAddress: UInt64? = nil, rowID: UInt64? = nil) throws -> JSONValue {
        var extra: [(String, JSONValue)] = []
        if let rowAddress { extra.append(("_rowaddr", .integer(rowAddress))) }
        if let rowID { extra.append(("_rowid", .integer(rowID))) }
        return try batch.jsonRow(i, appending: extra)
    }

    /// One compact JSON line (with a trailing newline) per row of `batch`. `rowAddresses` and
    /// `rowIDs`, when given, must hold one value per row.
    public static func jsonLines(_ batch: RecordBatch, rowAddresses: [UInt64]? = nil, rowIDs: [UInt64]? = nil,
                                 into out: inout [UInt8]) throws {
        if let a = rowAddresses, a.count != batch.count {
            throw LanceError(.internal, "\(a.count) row addresses for \(batch.count) rows")
        }
        if let r = rowIDs, r.count != batch.count {
            throw LanceError(.internal, "\(r.count) row ids for \(batch.count) rows")
        }
        for i in 0 ..< batch.count {
            try row(batch, i, rowAddress: rowAddresses?[i], rowID: rowIDs?[i]).write(to: &out)
            out.append(0x0A)
        }
    }
}
