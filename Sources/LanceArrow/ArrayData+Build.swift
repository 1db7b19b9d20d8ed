import LanceCore

extension ArrayData {
    /// A column of `count` nulls of any type (buffers sized so that every accessor works).
    public static func nulls(_ type: DataType, count: Int) -> ArrayData {
        let validity = Bitmap(repeating: false, count: count)
        switch type {
        case .null:
            return ArrayData(type: .null, count: count)
        case .bool:
            return ArrayData(type: type, count: count, validity: validity, buffers: [Buffer(zeroed: (count + 7) / 8)])
        case .utf8, .binary:
            return ArrayData(type: type, count: count, validity: validity,
                             buffers: [Buffer(zeroed: 4 * (count + 1)), .empty])
        case .largeUtf8, .largeBinary:
            return ArrayData(type: type, count: count, validity: validity,
                             buffers: [Buffer(zeroed: 8 * (count + 1)), .empty])
        case .list(let f):
            return ArrayData(type: type, count: count, validity: validity,
                             buffers: [Buffer(zeroed: 4 * (count + 1))], children: [.nulls(f.type, count: 0)])
        case .largeList(let f):
            return ArrayData(type: type, count: count, validity: validity,
                             buffers: [Buffer(zeroed: 8 * (count + 1))], children: [.nulls(f.type, count: 0)])
        case .fixedSizeList(let f, let n):
            return ArrayData(type: type, count: count, validity: validity, children: [.nulls(f.type, count: count * n)])
        case .struct(let fs):
            return ArrayData(type: type, count: count, validity: validity,
                             children: fs.map { .nulls($0.type, count: count) })
        case .dictionary(let index, let value):
            return ArrayData(type: type, count: count, validity: validity,
                             buffers: [Buffer(zeroed: (index.byteWidth ?? 4) * count)],
                             dictionary: .nulls(value, count: 0))
        default:
            return ArrayData(type: type, count: count, validity: validity,
                             buffers: [Buffer(zeroed: (type.byteWidth ?? 0) * count)])
        }
    }

    /// A fixed-width column from Swift values; `nil` entries are nulls.
    public static func primitive<T: BitwiseCopyable & Numeric>(_ type: DataType, _ values: [T?]) -> ArrayData {
        precondition(type.byteWidth == MemoryLayout<T>.size, "\(T.self) does not match \(type)")
        let hasNull = values.contains { $0 == nil }
        return ArrayData(type: type, count: values.count,
                         validity: hasNull ? Bitmap(values.map { $0 != nil }) : nil,
                         buffers: [Buffer(values: values.map { $0 ?? 0 })])
    }

    /// A fixed-width column from non-null Swift values.
    public static func primitive<T: BitwiseCopyable>(_ type: DataType, values: [T]) -> ArrayData {
        precondition(type.byteWidth == MemoryLayout<T>.size, "\(T.self) does not match \(type)")
        return ArrayData(type: type, count: values.count, buffers: [Buffer(values: values)])
    }

    /// A bool column; `nil` entries are nulls.
    public static func bools(_ values: [Bool?]) -> ArrayData {
        let hasNull = values.contains { $0 == nil }
        return ArrayData(type: .bool, count: values.count,
                         validity: hasNull ? Bitmap(values.map { $0 != nil }) : nil,
                         buffers: [Bitmap(values.map { $0 ?? false }).buffer])
    }

    /// A string column (utf8, or large_utf8 when `large`); `nil` entries are nulls.
    public static func strings(_ values: [String?], large: Bool = false) -> ArrayData {
        binaries(values.map { $0.map { Array($0.utf8) } }, type: large ? .largeUtf8 : .utf8)
    }

    /// A binary-like column of the given type (utf8, large_utf8, binary, large_binary); `nil` entries are nulls.
    public static func binaries(_ values: [[UInt8]?], type: DataType = .binary) -> ArrayData {
        precondition(type.isBinaryLike, "\(type) is not a binary-like type")
        var data = BufferBuilder()
        var offsets: [Int64] = [0]
        offsets.reserveCapacity(values.count + 1)
        for v in values {
            if let v { data.append(contentsOf: v) }
            offsets.append(Int64(data.count))
        }
        let hasNull = values.contains { $0 == nil }
        let offsetBuffer = type.hasLargeOffsets ? Buffer(values: offsets) : Buffer(values: offsets.map { Int32($0) })
        return ArrayData(type: type, count: values.count,
                         validity: hasNull ? Bitmap(values.map { $0 != nil }) : nil,
                         buffers: [offsetBuffer, data.build()])
    }

    /// A list (or large list) column over `items`, with `offsets` of length `count + 1`.
    public static func list(_ items: ArrayData, offsets: [Int64], validity: [Bool]? = nil,
                            large: Bool = false, itemName: String = "item", itemNullable: Bool = true) -> ArrayData {
        let field = Field(itemName, items.type, nullable: itemNullable)
        let buffer = large ? Buffer(values: offsets) : Buffer(values: offsets.map { Int32($0) })
        return ArrayData(type: large ? .largeList(field) : .list(field), count: offsets.count - 1,
                         validity: validity.flatMap { $0.allSatisfy { $0 } ? nil : Bitmap($0) },
                         buffers: [buffer], children: [items])
    }

    /// A fixed-size list column of `items.count / size` lists.
    public static func fixedSizeList(_ items: ArrayData, size: Int, validity: [Bool]? = nil,
                                     itemName: String = "item", itemNullable: Bool = true) -> ArrayData {
        precondition(size > 0 && items.count % size == 0, "item count not a multiple of the list size")
        return ArrayData(type: .fixedSizeList(Field(itemName, items.type, nullable: itemNullable), size),
                         count: items.count / size,
                         validity: validity.flatMap { $0.allSatisfy { $0 } ? nil : Bitmap($0) },
                         children: [items])
    }

    /// A struct column from named members of equal length.
    public static func structure(_ members: [(Field, ArrayData)], count: Int? = nil, validity: [Bool]? = nil) -> ArrayData {
        let n = count ?? members.first?.1.count ?? 0
        precondition(members.allSatisfy { $0.1.count == n }, "struct members differ in length")
        return ArrayData(type: .struct(members.map(\.0)), count: n,
                         validity: validity.flatMap { $0.allSatisfy { $0 } ? nil : Bitmap($0) },
                         children: members.map(\.1))
    }
}
