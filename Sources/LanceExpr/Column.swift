import LanceArrow
import LanceCore

/// The evaluator's column: values widened to a few physical kinds (64-bit integers, doubles, bytes),
/// with validity as one byte per row. A `scalar` column holds one value that stands for every row.
struct Col: @unchecked Sendable {
    indirect enum Storage {
        case null
        case bool([Bool])
        case int([Int64])      // int8…int64, date32 (days), date64 (ms), timestamps (their unit)
        case uint([UInt64])
        case float([Double])   // float16/32/64 (float32 values stay exactly representable)
        case bytes(offsets: [Int], data: Buffer)   // utf8, binary (offsets absolute into data)
        case list(offsets: [Int], items: Col)
        case structure([Col])
    }
    var type: DataType
    var count: Int
    var valid: [Bool]?
    var storage: Storage
    var scalar = false

    init(type: DataType, count: Int, valid: [Bool]?, storage: Storage, scalar: Bool = false) {
        self.type = type
        self.count = count
        self.valid = valid
        self.storage = storage
        self.scalar = scalar
    }

    @inline(__always) func isValid(_ i: Int) -> Bool {
        guard let valid else { if case .null = storage { return false }; return true }
        return valid[scalar ? 0 : i]
    }

    /// Number of physical values (1 for a scalar).
    var physicalCount: Int { scalar ? 1 : count }

    static func nulls(_ type: DataType, count: Int, scalar: Bool = false) -> Col {
        let n = scalar ? 1 : count
        let valid = [Bool](repeating: false, count: n)
        switch Col.kind(of: type) {
        case .bool: return Col(type: type, count: count, valid: valid, storage: .bool(.init(repeating: false, count: n)), scalar: scalar)
        case .int: return Col(type: type, count: count, valid: valid, storage: .int(.init(repeating: 0, count: n)), scalar: scalar)
        case .uint: return Col(type: type, count: count, valid: valid, storage: .uint(.init(repeating: 0, count: n)), scalar: scalar)
        case .float: return Col(type: type, count: count, valid: valid, storage: .float(.init(repeating: 0, count: n)), scalar: scalar)
        case .bytes: return Col(type: type, count: count, valid: valid, storage: .bytes(offsets: .init(repeating: 0, count: n + 1), data: .empty), scalar: scalar)
        case .list:
            let item = type.children.first?.type ?? .null
            return Col(type: type, count: count, valid: valid,
                       storage: .list(offsets: .init(repeating: 0, count: n + 1), items: .nulls(item, count: 0)), scalar: scalar)
        case .structure:
            return Col(type: type, count: count, valid: valid,
                       storage: .structure(type.children.map { .nulls($0.type, count: count, scalar: scalar) }), scalar: scalar)
        case .null, .unsupported:
            return Col(type: .null, count: count, valid: nil, storage: .null, scalar: scalar)
        }
    }

    enum Kind { case null, bool, int, uint, float, bytes, list, structure, unsupported }

    static func kind(of type: DataType) -> Kind {
        switch type {
        case .null: return .null
        case .bool: return .bool
        case .int8, .int16, .int32, .int64, .date32, .date64, .timestamp: return .int
        case .uint8, .uint16, .uint32, .uint64: return .uint
        case .float16, .float32, .float64: return .float
        case .utf8, .largeUtf8, .binary, .largeBinary, .fixedSizeBinary: return .bytes
        case .list, .largeList, .fixedSizeList: return .list
        case .struct: return .structure
        case .dictionary(_, let v): return kind(of: v)
        case .decimal128: return .unsupported
        }
    }

    /// The type a column of `type` has in the evaluator (dictionaries decoded, fixed-size binary as binary).
    static func logicalType(_ type: DataType) -> DataType {
        switch type {
        case .dictionary(_, let v): return logicalType(v)
        case .fixedSizeBinary: return .binary
        case .list(let f): return .list(Field(f.name, logicalType(f.type), nullable: f.nullable))
        case .largeList(let f): return .largeList(Field(f.name, logicalType(f.type), nullable: f.nullable))
        case .fixedSizeList(let f, let n): return .fixedSizeList(Field(f.name, logicalType(f.type), nullable: f.nullable), n)
        case .struct(let fs): return .struct(fs.map { Field($0.name, logicalType($0.type), nullable: $0.nullable) })
        default: return type
        }
    }

    // MARK: - From Arrow

    static func validity(_ a: ArrayData) -> [Bool]? {
        if case .null = a.type { return [Bool](repeating: false, count: a.count) }
        guard let v = a.validity else { return nil }
        var out = [Bool](repeating: true, count: a.count)
        v.buffer.withUnsafeBytes { raw in
            let off = v.offset
            for i in 0 ..< a.count {
                let b = off + i
                out[i] = raw[b >> 3] & UInt8(1 << (b & 7)) != 0
            }
        }
        return out
    }

    static func load(_ a: ArrayData) throws -> Col {
        let valid = validity(a)
        let n = a.count
        func ints<T: FixedWidthInteger>(_: T.Type) -> [Int64] {
            a.buffers[0].withUnsafeBytes { raw in
                [Int64](unsafeUninitializedCapacity: n) { out, done in
                    for i in 0 ..< n { out[i] = Int64(truncatingIfNeeded: raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)) }
                    done = n
                }
            }
        }
        func uints<T: FixedWidthInteger>(_: T.Type) -> [UInt64] {
            a.buffers[0].withUnsafeBytes { raw in
                [UInt64](unsafeUninitializedCapacity: n) { out, done in
                    for i in 0 ..< n { out[i] = UInt64(truncatingIfNeeded: raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)) }
                    done = n
                }
            }
        }
        func offsets(large: Bool) -> [Int] {
            a.buffers[0].withUnsafeBytes { raw in
                [Int](unsafeUninitializedCapacity: n + 1) { out, done in
                    if large {
                        for i in 0 ... n { out[i] = Int(raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)) }
                    } else {
                        for i in 0 ... n { out[i] = Int(raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)) }
                    }
                    done = n + 1
                }
            }
        }
        let type = logicalType(a.type)
        switch a.type {
        case .null: return Col(type: .null, count: n, valid: nil, storage: .null)
        case .bool:
            var out = [Bool](repeating: false, count: n)
            a.buffers[0].withUnsafeBytes { raw in
                for i in 0 ..< n {
                    let b = a.boolOffset + i
                    out[i] = raw[b >> 3] & UInt8(1 << (b & 7)) != 0
                }
            }
            return Col(type: type, count: n, valid: valid, storage: .bool(out))
        case .int8: return Col(type: type, count: n, valid: valid, storage: .int(ints(Int8.self)))
        case .int16: return Col(type: type, count: n, valid: valid, storage: .int(ints(Int16.self)))
        case .int32, .date32: return Col(type: type, count: n, valid: valid, storage: .int(ints(Int32.self)))
        case .int64, .date64, .timestamp: return Col(type: type, count: n, valid: valid, storage: .int(ints(Int64.self)))
        case .uint8: return Col(type: type, count: n, valid: valid, storage: .uint(uints(UInt8.self)))
        case .uint16: return Col(type: type, count: n, valid: valid, storage: .uint(uints(UInt16.self)))
        case .uint32: return Col(type: type, count: n, valid: valid, storage: .uint(uints(UInt32.self)))
        case .uint64: return Col(type: type, count: n, valid: valid, storage: .uint(uints(UInt64.self)))
        case .float16:
            let bits = uints(UInt16.self)
            return Col(type: type, count: n, valid: valid, storage: .float(bits.map { halfToDouble(UInt16($0)) }))
        case .float32:
            let v = a.buffers[0].withUnsafeBytes { raw in
                [Double](unsafeUninitializedCapacity: n) { out, done in
                    for i in 0 ..< n { out[i] = Double(raw.loadUnaligned(fromByteOffset: i * 4, as: Float.self)) }
                    done = n
                }
            }
            return Col(type: type, count: n, valid: valid, storage: .float(v))
        case .float64:
            let v = a.buffers[0].withUnsafeBytes { raw in
                [Double](unsafeUninitializedCapacity: n) { out, done in
                    for i in 0 ..< n { out[i] = raw.loadUnaligned(fromByteOffset: i * 8, as: Double.self) }
                    done = n
                }
            }
            return Col(type: type, count: n, valid: valid, storage: .float(v))
        case .utf8, .binary, .largeUtf8, .largeBinary:
            return Col(type: type, count: n, valid: valid, storage: .bytes(offsets: offsets(large: a.type.hasLargeOffsets), data: a.buffers[1]))
        case .fixedSizeBinary(let w):
            return Col(type: type, count: n, valid: valid, storage: .bytes(offsets: (0 ... n).map { $0 * w }, data: a.buffers[0]))
        case .list, .largeList:
            return Col(type: type, count: n, valid: valid,
                       storage: .list(offsets: offsets(large: a.type.hasLargeOffsets), items: try load(a.children[0])))
        case .fixedSizeList(_, let w):
            return Col(type: type, count: n, valid: valid, storage: .list(offsets: (0 ... n).map { $0 * w }, items: try load(a.children[0])))
        case .struct:
            return Col(type: type, count: n, valid: valid, storage: .structure(try a.children.map { try load($0) }))
        case .dictionary(let index, _):
            guard let dict = a.dictionary else { throw LanceError(.internal, "dictionary column without a dictionary") }
            let values = try load(dict)
            let idx: [Int]
            switch index {
            case .int8: idx = ints(Int8.self).map { Int($0) }
            case .int16: idx = ints(Int16.self).map { Int($0) }
            case .int32: idx = ints(Int32.self).map { Int($0) }
            case .int64: idx = ints(Int64.self).map { Int($0) }
            case .uint8: idx = uints(UInt8.self).map { Int($0) }
            case .uint16: idx = uints(UInt16.self).map { Int($0) }
            case .uint32: idx = uints(UInt32.self).map { Int($0) }
            default: idx = uints(UInt64.self).map { Int(truncatingIfNeeded: $0) }
            }
            var fixed = idx
            for i in 0 ..< n {
                if valid?[i] == false || idx[i] < 0 || idx[i] >= values.count { fixed[i] = -1 }
            }
            var out = values.gather(fixed)
            if let valid {
                out.valid = zip(out.valid ?? [Bool](repeating: true, count: n), valid).map { $0 && $1 }
            }
            return out
        case .decimal128:
            throw LanceError(.unsupported, "decimal columns are not supported in filters")
        }
    }

    // MARK: - Gather / broadcast

    /// The rows at `indices` (-1 = a null row).
    func gather(_ indices: [Int]) -> Col {
        let n = indices.count
        let src = { (i: Int) -> Int in self.scalar ? 0 : i }
        var valid: [Bool]? = nil
        if self.valid != nil || indices.contains(-1) {
            valid = indices.map { $0 >= 0 && self.isValid($0) }
        }
        switch storage {
        case .null: return Col(type: type, count: n, valid: nil, storage: .null)
        case .bool(let v): return Col(type: type, count: n, valid: valid, storage: .bool(indices.map { $0 >= 0 ? v[src($0)] : false }))
        case .int(let v): return Col(type: type, count: n, valid: valid, storage: .int(indices.map { $0 >= 0 ? v[src($0)] : 0 }))
        case .uint(let v): return Col(type: type, count: n, valid: valid, storage: .uint(indices.map { $0 >= 0 ? v[src($0)] : 0 }))
        case .float(let v): return Col(type: type, count: n, valid: valid, storage: .float(indices.map { $0 >= 0 ? v[src($0)] : 0 }))
        case .bytes(let offsets, let data):
            var out = BufferBuilder()
            var o = [Int](); o.reserveCapacity(n + 1); o.append(0)
            data.withUnsafeBytes { raw in
                for i in indices {
                    if i >= 0 {
                        let j = src(i)
                        out.append(UnsafeRawBufferPointer(rebasing: raw[offsets[j] ..< offsets[j + 1]]))
                    }
                    o.append(out.count)
                }
            }
            return Col(type: type, count: n, valid: valid, storage: .bytes(offsets: o, data: out.build()))
        case .list(let offsets, let items):
            var itemIdx: [Int] = []
            var o = [Int](); o.reserveCapacity(n + 1); o.append(0)
            for i in indices {
                if i >= 0 { let j = src(i); itemIdx.append(contentsOf: offsets[j] ..< offsets[j + 1]) }
                o.append(itemIdx.count)
            }
            return Col(type: type, count: n, valid: valid, storage: .list(offsets: o, items: items.gather(itemIdx)))
        case .structure(let children):
            return Col(type: type, count: n, valid: valid, storage: .structure(children.map { $0.gather(indices) }))
        }
    }

    /// A non-scalar column of `count` rows.
    func expanded() -> Col {
        guard scalar else { return self }
        var c = gather([Int](repeating: 0, count: count))
        c.scalar = false
        return c
    }

    /// The bytes of row `i` (bytes storage).
    @inline(__always) func withBytes<R>(_ i: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        guard case .bytes(let offsets, let data) = storage else { fatalError("not a byte column") }
        let j = scalar ? 0 : i
        return try data.withUnsafeBytes { raw in try body(UnsafeRawBufferPointer(rebasing: raw[offsets[j] ..< offsets[j + 1]])) }
    }

    func string(_ i: Int) -> String {
        withBytes(i) { String(decoding: $0, as: UTF8.self) }
    }

    /// A scalar column from one value.
    static func scalar(_ type: DataType, count: Int, _ storage: Storage, valid: Bool = true) -> Col {
        Col(type: type, count: count, valid: valid ? nil : [false], storage: storage, scalar: true)
    }

    static func strings(_ values: [String?], type: DataType = .utf8, count: Int? = nil, scalar: Bool = false) -> Col {
        var data = BufferBuilder()
        var offsets = [0]
        for v in values {
            if let v { data.append(contentsOf: v.utf8) }
            offsets.append(data.count)
        }
        let valid: [Bool]? = values.contains(nil) ? values.map { $0 != nil } : nil
        return Col(type: type, count: count ?? values.count, valid: valid, storage: .bytes(offsets: offsets, data: data.build()),
                   scalar: scalar)
    }
}

/// IEEE half-precision bits to Double.
func halfToDouble(_ h: UInt16) -> Double {
    let sign: Double = h & 0x8000 != 0 ? -1 : 1
    let exp = Int((h >> 10) & 0x1F)
    let frac = Double(h & 0x3FF)
    if exp == 0 { return sign * frac * 0x1p-24 }
    if exp == 31 { return frac == 0 ? sign * .infinity : .nan }
    return sign * (1 + frac / 1024) * Double(sign: .plus, exponent: exp - 15, significand: 1)
}

func doubleToHalfBits(_ d: Double) -> UInt16 {
    let f = Float(d)
    if f.isNaN { return 0x7E00 }
    let sign: UInt16 = f.sign == .minus ? 0x8000 : 0
    let a = abs(f)
    if a >= 65520 { return sign | 0x7C00 }
    if a < 0x1p-24 / 2 { return sign }
    if a < 0x1p-14 {
        return sign | UInt16((a / 0x1p-24).rounded(.toNearestOrEven))
    }
    let e = Int(a.exponent)
    var m = ((a / Float(sign: .plus, exponent: e, significand: 1)) - 1) * 1024
    m = m.rounded(.toNearestOrEven)
    var exp = UInt16(e + 15)
    var mant = UInt16(m)
    if mant == 1024 { mant = 0; exp += 1 }
    if exp >= 31 { return sign | 0x7C00 }
    return sign | (exp << 10) | mant
}
