import LanceCore

extension ArrayData {
    /// Values `[start, start + length)`, sharing buffers where the layout allows.
    public func slice(_ start: Int, _ length: Int) -> ArrayData {
        precondition(start >= 0 && length >= 0 && start + length <= count,
                     "slice \(start)..<\(start + length) out of range 0..<\(count)")
        if start == 0 && length == count { return self }
        let v = validity?.slice(start, length)
        switch type {
        case .null:
            return ArrayData(type: .null, count: length)
        case .bool:
            return ArrayData(type: type, count: length, validity: v, buffers: buffers,
                             boolOffset: boolOffset + start)
        case .utf8, .binary, .largeUtf8, .largeBinary:
            let w = type.hasLargeOffsets ? 8 : 4
            return ArrayData(type: type, count: length, validity: v,
                             buffers: [buffers[0].slice(start * w, (length + 1) * w), buffers[1]])
        case .list, .largeList:
            let w = type.hasLargeOffsets ? 8 : 4
            return ArrayData(type: type, count: length, validity: v,
                             buffers: [buffers[0].slice(start * w, (length + 1) * w)], children: children)
        case .fixedSizeList(_, let n):
            return ArrayData(type: type, count: length, validity: v, children: [children[0].slice(start * n, length * n)])
        case .struct:
            return ArrayData(type: type, count: length, validity: v, children: children.map { $0.slice(start, length) })
        case .dictionary(let index, _):
            let w = index.byteWidth!
            return ArrayData(type: type, count: length, validity: v,
                             buffers: [buffers[0].slice(start * w, length * w)], dictionary: dictionary)
        default:
            let w = type.byteWidth!
            return ArrayData(type: type, count: length, validity: v, buffers: [buffers[0].slice(start * w, length * w)])
        }
    }

    /// Concatenates arrays of the same type into one with fresh buffers.
    public static func concat(_ arrays: [ArrayData]) -> ArrayData {
        precondition(!arrays.isEmpty, "concat of no arrays")
        if arrays.count == 1 { return arrays[0] }
        let type = arrays[0].type
        let total = arrays.reduce(0) { $0 + $1.count }
        let validity: Bitmap? = arrays.contains { $0.validity != nil }
            ? Bitmap(arrays.lazy.flatMap { a in (0 ..< a.count).lazy.map { a.isValid($0) } })
            : nil
        switch type {
        case .null:
            return ArrayData(type: .null, count: total)
        case .bool:
            let bits = Bitmap(arrays.lazy.flatMap { a in (0 ..< a.count).lazy.map { a.boolValue($0) } })
            return ArrayData(type: type, count: total, validity: validity, buffers: [bits.buffer])
        case .utf8, .binary, .largeUtf8, .largeBinary, .list, .largeList:
            let large = type.hasLargeOffsets
            var offsets = [Int64](); offsets.reserveCapacity(total + 1); offsets.append(0)
            var data = BufferBuilder()
            var items: [ArrayData] = []
            for a in arrays where a.count > 0 {
                let first = a.valueRange(0).lowerBound
                let last = a.valueRange(a.count - 1).upperBound
                let base = Int64(type.isBinaryLike ? data.count : items.reduce(0) { $0 + $1.count }) - Int64(first)
                for i in 0 ..< a.count { offsets.append(Int64(a.valueRange(i).upperBound) + base) }
                if type.isBinaryLike {
                    a.buffers[1].slice(first ..< last).withUnsafeBytes { data.append($0) }
                } else {
                    items.append(a.children[0].slice(first, last - first))
                }
            }
            let ob = large ? Buffer(values: offsets) : Buffer(values: offsets.map { Int32(truncatingIfNeeded: $0) })
            if type.isBinaryLike {
                return ArrayData(type: type, count: total, validity: validity, buffers: [ob, data.build()])
            }
            let child = items.isEmpty ? arrays[0].children[0].slice(0, 0) : concat(items)
            return ArrayData(type: type, count: total, validity: validity, buffers: [ob], children: [child])
        case .fixedSizeList:
            return ArrayData(type: type, count: total, validity: validity,
                             children: [concat(arrays.map { $0.children[0] })])
        case .struct(let fs):
            return ArrayData(type: type, count: total, validity: validity,
                             children: fs.indices.map { k in concat(arrays.map { $0.children[k] }) })
        case .dictionary(let index, _):
            // Concatenate the dictionaries and shift each part's indices.
            var shifted: [ArrayData] = []
            var base = 0
            for a in arrays {
                let idx = a.buffers[0]
                let n = a.count
                let width = index.byteWidth!
                let out = Buffer(count: n * width) { raw in
                    for i in 0 ..< n {
                        let v: Int
                        switch width {
                        case 1: v = Int(idx.load(UInt8.self, at: i))
                        case 2: v = Int(idx.load(UInt16.self, at: i))
                        case 4: v = Int(idx.load(UInt32.self, at: i))
                        default: v = Int(idx.load(UInt64.self, at: i))
                        }
                        let s = a.isNull(i) ? 0 : v + base
                        switch width {
                        case 1: raw.storeBytes(of: UInt8(truncatingIfNeeded: s), toByteOffset: i, as: UInt8.self)
                        case 2: raw.storeBytes(of: UInt16(truncatingIfNeeded: s), toByteOffset: 2 * i, as: UInt16.self)
                        case 4: raw.storeBytes(of: UInt32(truncatingIfNeeded: s), toByteOffset: 4 * i, as: UInt32.self)
                        default: raw.storeBytes(of: UInt64(truncatingIfNeeded: s), toByteOffset: 8 * i, as: UInt64.self)
                        }
                    }
                }
                shifted.append(ArrayData(type: a.type, count: n, validity: a.validity, buffers: [out]))
                base += a.dictionary?.count ?? 0
            }
            let dict = concat(arrays.compactMap(\.dictionary))
            let indices = concat(shifted.map { ArrayData(type: index, count: $0.count, validity: $0.validity, buffers: $0.buffers) })
            return ArrayData(type: type, count: total, validity: validity, buffers: indices.buffers, dictionary: dict)
        default:
            let w = type.byteWidth!
            var data = BufferBuilder(capacity: total * w)
            for a in arrays { a.buffers[0].slice(0, a.count * w).withUnsafeBytes { data.append($0) } }
            return ArrayData(type: type, count: total, validity: validity, buffers: [data.build()])
        }
    }
}
