import LanceCore

/// A column of values in the Arrow memory layout.
///
/// Buffers by type (validity is kept apart in ``validity``; `nil` means no nulls):
///
/// | type | `buffers` | `children` |
/// |---|---|---|
/// | null | none | none |
/// | bool | `[bits]` (LSB first, `count` bits from bit ``boolOffset``) | none |
/// | fixed-width primitives, date, timestamp, fixed_size_binary | `[values]` | none |
/// | utf8, binary | `[offsets (Int32, count+1), data]` | none |
/// | large_utf8, large_binary | `[offsets (Int64, count+1), data]` | none |
/// | list / large_list | `[offsets (Int32/Int64, count+1)]` | `[items]` |
/// | fixed_size_list(n) | none | `[items]` (`count * n` values) |
/// | struct | none | one per member, each `count` long |
/// | dictionary | `[indices]` of the index type | none; values in ``dictionary`` |
///
/// Offsets need not start at 0 (a slice keeps the absolute offsets into `data`/`items`).
public struct ArrayData: Sendable {
    public let type: DataType
    /// Number of values (rows).
    public let count: Int
    /// Validity bits (1 = valid); `nil` when no value is null.
    public let validity: Bitmap?
    public let buffers: [Buffer]
    public let children: [ArrayData]
    /// The value array of a dictionary-typed column.
    public var dictionary: ArrayData? { dictionaryStorage.first }
    private let dictionaryStorage: [ArrayData]
    /// Bit offset of value 0 in `buffers[0]` for bool arrays (0 elsewhere).
    public let boolOffset: Int

    public init(type: DataType, count: Int, validity: Bitmap? = nil, buffers: [Buffer] = [],
                children: [ArrayData] = [], dictionary: ArrayData? = nil, boolOffset: Int = 0) {
        if let validity { precondition(validity.count == count, "validity length \(validity.count) != \(count)") }
        self.type = type
        self.count = count
        self.validity = validity
        self.buffers = buffers
        self.children = children
        self.dictionaryStorage = dictionary.map { [$0] } ?? []
        self.boolOffset = boolOffset
    }

    /// Number of null values.
    public var nullCount: Int {
        if case .null = type { return count }
        guard let validity else { return 0 }
        return count - validity.setCount
    }

    @inlinable
    public func isNull(_ i: Int) -> Bool {
        if case .null = type { return true }
        guard let validity else { return false }
        return !validity[i]
    }

    @inlinable
    public func isValid(_ i: Int) -> Bool { !isNull(i) }

    // MARK: - Value access (checked; for tests, rendering and non-hot paths)

    /// The `i`-th value of a fixed-width column as `T` (ignores validity).
    @inlinable
    public func value<T: BitwiseCopyable>(_ i: Int, as _: T.Type = T.self) -> T {
        precondition(i >= 0 && i < count, "index \(i) out of range 0..<\(count)")
        return buffers[0].load(T.self, at: i)
    }

    /// The `i`-th value of a bool column (ignores validity).
    public func boolValue(_ i: Int) -> Bool {
        precondition(i >= 0 && i < count, "index out of range")
        let bit = boolOffset + i
        return buffers[0][bit >> 3] & UInt8(1 << (bit & 7)) != 0
    }

    /// Start and end offsets of the `i`-th value of a variable-width or list column.
    public func valueRange(_ i: Int) -> Range<Int> {
        precondition(i >= 0 && i < count, "index out of range")
        if type.hasLargeOffsets {
            return Int(buffers[0].load(Int64.self, at: i)) ..< Int(buffers[0].load(Int64.self, at: i + 1))
        }
        return Int(buffers[0].load(Int32.self, at: i)) ..< Int(buffers[0].load(Int32.self, at: i + 1))
    }

    /// The bytes of the `i`-th value of a binary/string/fixed_size_binary column (ignores validity).
    public func bytes(_ i: Int) -> [UInt8] {
        if case .fixedSizeBinary(let w) = type {
            return buffers[0].slice(i * w, w).bytes
        }
        let r = valueRange(i)
        return buffers[1].slice(r).bytes
    }

    /// The `i`-th value of a string column, or nil when null.
    public func string(_ i: Int) -> String? {
        if isNull(i) { return nil }
        let r = valueRange(i)
        return buffers[1].slice(r).withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// The items of the `i`-th list (list, large_list, fixed_size_list) as a slice of the child.
    public func listValues(_ i: Int) -> ArrayData {
        switch type {
        case .fixedSizeList(_, let n): return children[0].slice(i * n, n)
        default:
            let r = valueRange(i)
            return children[0].slice(r.lowerBound, r.count)
        }
    }
}
