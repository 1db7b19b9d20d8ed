/// Time units of Arrow timestamps.
public enum TimeUnit: String, Sendable, Hashable, CaseIterable {
    case second = "s", millisecond = "ms", microsecond = "us", nanosecond = "ns"
}

/// A logical data type in the Arrow type system, as Lance stores it.
///
/// Nested types carry their child ``Field``s. `description` spells types the way pyarrow prints
/// them (`int64`, `large_string`, `fixed_size_list<item: float>[768]`, `timestamp[us, tz=UTC]`).
public indirect enum DataType: Sendable, Hashable, CustomStringConvertible {
    case null
    case bool
    case int8, int16, int32, int64
    case uint8, uint16, uint32, uint64
    case float16, float32, float64
    case utf8, largeUtf8
    case binary, largeBinary
    case fixedSizeBinary(Int)
    case date32
    case date64
    case timestamp(TimeUnit, timezone: String?)
    case decimal128(precision: Int, scale: Int)
    case list(Field)
    case largeList(Field)
    case fixedSizeList(Field, Int)
    case `struct`([Field])
    case dictionary(index: DataType, value: DataType)

    /// Width in bytes of one value of a fixed-width primitive type (bool: nil, it is bit-packed).
    public var byteWidth: Int? {
        switch self {
        case .int8, .uint8: return 1
        case .int16, .uint16, .float16: return 2
        case .int32, .uint32, .float32, .date32: return 4
        case .int64, .uint64, .float64, .date64, .timestamp: return 8
        case .decimal128: return 16
        case .fixedSizeBinary(let n): return n
        default: return nil
        }
    }

    /// Bits per value for fixed-width types including bool (1).
    public var bitWidth: Int? {
        if case .bool = self { return 1 }
        return byteWidth.map { $0 * 8 }
    }

    public var isPrimitive: Bool { byteWidth != nil || self == .bool || self == .null }
    public var isInteger: Bool {
        switch self {
        case .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64: return true
        default: return false
        }
    }
    public var isSignedInteger: Bool {
        switch self { case .int8, .int16, .int32, .int64: return true; default: return false }
    }
    public var isFloatingPoint: Bool {
        switch self { case .float16, .float32, .float64: return true; default: return false }
    }
    public var isNumeric: Bool { isInteger || isFloatingPoint }
    /// Variable-width byte types: utf8, large_utf8, binary, large_binary.
    public var isBinaryLike: Bool {
        switch self { case .utf8, .largeUtf8, .binary, .largeBinary: return true; default: return false }
    }
    public var isString: Bool { self == .utf8 || self == .largeUtf8 }
    /// True for the 64-bit-offset variants (large_utf8, large_binary, large_list).
    public var hasLargeOffsets: Bool {
        switch self { case .largeUtf8, .largeBinary, .largeList: return true; default: return false }
    }
    public var isNested: Bool {
        switch self { case .list, .largeList, .fixedSizeList, .struct: return true; default: return false }
    }

    /// Child fields of nested types (the item field of lists, the members of a struct).
    public var children: [Field] {
        switch self {
        case .list(let f), .largeList(let f), .fixedSizeList(let f, _): return [f]
        case .struct(let fs): return fs
        default: return []
        }
    }

    public var description: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .int8: return "int8"
        case .int16: return "int16"
        case .int32: return "int32"
        case .int64: return "int64"
        case .uint8: return "uint8"
        case .uint16: return "uint16"
        case .uint32: return "uint32"
        case .uint64: return "uint64"
        case .float16: return "halffloat"
        case .float32: return "float"
        case .float64: return "double"
        case .utf8: return "string"
        case .largeUtf8: return "large_string"
        case .binary: return "binary"
        case .largeBinary: return "large_binary"
        case .fixedSizeBinary(let n): return "fixed_size_binary[\(n)]"
        case .date32: return "date32[day]"
        case .date64: return "date64[ms]"
        case .timestamp(let unit, let tz):
            return tz.map { "timestamp[\(unit.rawValue), tz=\($0)]" } ?? "timestamp[\(unit.rawValue)]"
        case .decimal128(let p, let s): return "decimal128(\(p), \(s))"
        case .list(let f): return "list<\(f.name): \(f.type)>"
        case .largeList(let f): return "large_list<\(f.name): \(f.type)>"
        case .fixedSizeList(let f, let n): return "fixed_size_list<\(f.name): \(f.type)>[\(n)]"
        case .struct(let fs): return "struct<" + fs.map { "\($0.name): \($0.type)" }.joined(separator: ", ") + ">"
        case .dictionary(let i, let v): return "dictionary<values=\(v), indices=\(i), ordered=0>"
        }
    }
}
