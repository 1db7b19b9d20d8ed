import LanceArrow
import LanceCore
import LanceProto

/// Encodes pages of file version 2.0 (`lance.encodings.ArrayEncoding`).
///
/// Every field owns a column: a struct is an empty `SimpleStruct` column followed by its children,
/// a list is a column of end offsets followed by the column(s) of its items.
enum V20Encoder {
    typealias AE = Lance_Encodings_ArrayEncoding

    static func flat(bits: Int, buffer: Int) -> AE {
        var f = Lance_Encodings_Flat()
        f.bitsPerValue = UInt64(bits)
        var b = Lance_Encodings_Buffer()
        b.bufferIndex = UInt32(buffer)
        b.bufferType = .page
        f.buffer = b
        var e = AE()
        e.arrayEncoding = .flat(f)
        return e
    }

    static func noNulls(_ values: AE) -> AE {
        var nn = Lance_Encodings_Nullable.NoNull()
        nn.values = values
        var n = Lance_Encodings_Nullable()
        n.nullability = .noNulls(nn)
        var e = AE()
        e.arrayEncoding = .nullable(n)
        return e
    }

    static func someNulls(validity: AE, values: AE) -> AE {
        var sn = Lance_Encodings_Nullable.SomeNull()
        sn.validity = validity
        sn.values = values
        var n = Lance_Encodings_Nullable()
        n.nullability = .someNulls(sn)
        var e = AE()
        e.arrayEncoding = .nullable(n)
        return e
    }

    /// Appends the pages of `array` (the rows of one page of top-level field `field`) for the
    /// field's column and all its descendants' columns.
    static func encode(field: LanceField, array a: ArrayData, columns: [Int32: Int], into pages: inout [EncodedPage]) throws {
        guard let column = columns[field.id] else {
            throw LanceError(.internal, "no column for field \(field.id)", column: field.name)
        }
        switch a.type {
        case .struct:
            if a.nullCount > 0 {
                throw LanceError(.unsupported, "file version 2.0 cannot store null structs", column: field.name)
            }
            var e = AE()
            e.arrayEncoding = .struct(Lance_Encodings_SimpleStruct())
            pages.append(EncodedPage(column: column, buffers: [], encoding: try WriterUtil.direct(e), length: UInt64(a.count),
                                     singlePage: true))
            for (child, data) in zip(field.children, a.children) {
                try encode(field: child, array: data, columns: columns, into: &pages)
            }
        case .list, .largeList:
            // End offsets relative to the page's first item; a null list stores `previous end + adjustment`.
            let offs = WriterUtil.offsets(a)
            let items = a.children[0]
            var ends = [UInt64](); ends.reserveCapacity(a.count)
            var ranges: [Range<Int>] = []
            var total = 0
            for i in 0 ..< a.count {
                if a.isNull(i) {
                    ends.append(0) // fixed below once the adjustment is known
                    continue
                }
                let r = Int(offs[i]) ..< Int(offs[i + 1])
                guard r.lowerBound >= 0, r.upperBound <= items.count, r.lowerBound <= r.upperBound else {
                    throw LanceError(.invalidInput, "list offsets out of range", column: field.name)
                }
                if !r.isEmpty {
                    if let last = ranges.last, last.upperBound == r.lowerBound {
                        ranges[ranges.count - 1] = last.lowerBound ..< r.upperBound
                    } else {
                        ranges.append(r)
                    }
                }
                total += r.count
                ends.append(UInt64(total))
            }
            let adjustment = UInt64(total) + 1
            var prev: UInt64 = 0
            for i in 0 ..< a.count {
                if a.isNull(i) { ends[i] = prev + adjustment } else { prev = ends[i] }
            }
            var list = Lance_Encodings_List()
            list.offsets = noNulls(flat(bits: 64, buffer: 0))
            list.nullOffsetAdjustment = adjustment
            list.numItems = UInt64(total)
            var e = AE()
            e.arrayEncoding = .list(list)
            var buf = ByteSink(capacity: ends.count * 8)
            for v in ends { buf.append(v) }
            pages.append(EncodedPage(column: column, buffers: [buf.bytes], encoding: try WriterUtil.direct(e), length: UInt64(a.count)))
            let packed: ArrayData
            if ranges.count == 1 { packed = items.slice(ranges[0].lowerBound, ranges[0].count) }
            else if ranges.isEmpty { packed = items.slice(0, 0) }
            else { packed = ArrayData.concat(ranges.map { items.slice($0.lowerBound, $0.count) }) }
            if packed.count > 0 {
                try encode(field: field.children[0], array: packed, columns: columns, into: &pages)
            }
        default:
            var buffers: [[UInt8]] = []
            let e = try leafEncoding(a, field: field, buffers: &buffers)
            pages.append(EncodedPage(column: column, buffers: buffers, encoding: try WriterUtil.direct(e), length: UInt64(a.count)))
        }
    }

    /// The encoding of a leaf array, appending its buffers.
    static func leafEncoding(_ a: ArrayData, field: LanceField, buffers: inout [[UInt8]]) throws -> AE {
        switch a.type {
        case .utf8, .binary, .largeUtf8, .largeBinary:
            let offs = WriterUtil.offsets(a)
            let base = Int(offs[0])
            let dataEnd = Int(offs[a.count])
            var ends = [UInt64](); ends.reserveCapacity(a.count)
            // Bytes of null values are dropped so that `end + adjustment` marks a null.
            var data = ByteSink(capacity: dataEnd - base)
            let hasNulls = a.nullCount > 0
            if hasNulls {
                for i in 0 ..< a.count where a.isValid(i) {
                    a.buffers[1].slice(Int(offs[i]) ..< Int(offs[i + 1])).withUnsafeBytes { data.append($0) }
                }
            } else if dataEnd > base {
                a.buffers[1].slice(base ..< dataEnd).withUnsafeBytes { data.append($0) }
            }
            let adjustment = UInt64(data.count) + 1
            var end: UInt64 = 0
            for i in 0 ..< a.count {
                if a.isNull(i) {
                    ends.append(end + adjustment)
                } else {
                    end += UInt64(offs[i + 1] - offs[i])
                    ends.append(end)
                }
            }
            var idx = ByteSink(capacity: ends.count * 8)
            for v in ends { idx.append(v) }
            let i0 = buffers.count
            buffers.append(idx.bytes)
            buffers.append(data.bytes)
            var bin = Lance_Encodings_Binary()
            bin.indices = noNulls(flat(bits: 64, buffer: i0))
            bin.bytes = flat(bits: 8, buffer: i0 + 1)
            bin.nullAdjustment = adjustment
            var e = AE()
            e.arrayEncoding = .binary(bin)
            return e
        case .fixedSizeList(_, let n):
            let child = a.children[0]
            switch child.type {
            case .bool, .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64,
                 .float16, .float32, .float64, .date32, .date64, .timestamp, .decimal128, .fixedSizeBinary, .fixedSizeList:
                break
            default:
                // pylance 14 refuses these as well (strings, lists, structs inside a fixed-size list).
                throw LanceError(.unsupported, "fixed_size_list of \(child.type) is not supported by the 2.0 writer", column: field.name)
            }
            var validityIndex: Int?
            if a.nullCount > 0 {
                validityIndex = buffers.count
                buffers.append(WriterUtil.validityBytes(a))
            }
            var fsl = Lance_Encodings_FixedSizeList()
            fsl.dimension = UInt32(n)
            fsl.items = try leafEncoding(child, field: field, buffers: &buffers)
            var inner = AE()
            inner.arrayEncoding = .fixedSizeList(fsl)
            if let validityIndex { return someNulls(validity: flat(bits: 1, buffer: validityIndex), values: inner) }
            return noNulls(inner)
        case .bool:
            var validityIndex: Int?
            if a.nullCount > 0 {
                validityIndex = buffers.count
                buffers.append(WriterUtil.validityBytes(a))
            }
            let vi = buffers.count
            buffers.append(WriterUtil.boolBits(a))
            let values = flat(bits: 1, buffer: vi)
            if let validityIndex { return someNulls(validity: flat(bits: 1, buffer: validityIndex), values: values) }
            return noNulls(values)
        case .dictionary(let indexType, let valueType):
            // As pylance: the Arrow indices as they are, with a null row pointing at one null item
            // appended to the dictionary (only when the page has nulls).
            guard let dict = a.dictionary, let w = indexType.byteWidth else {
                throw LanceError(.invalidInput, "dictionary array without a dictionary", column: field.name)
            }
            let n = dict.count
            let hasNulls = a.nullCount > 0
            let limit = w >= 8 ? Int.max : (1 << (8 * w - 1)) - 1
            guard n + (hasNulls ? 1 : 0) - 1 <= limit else {
                throw LanceError(.unsupported, "a dictionary of \(n) values with nulls does not fit \(indexType) indices", column: field.name)
            }
            var idx = a.buffers[0].slice(0, a.count * w).bytes
            for i in 0 ..< a.count {
                if a.isNull(i) {
                    withUnsafeBytes(of: UInt64(n).littleEndian) { raw in
                        for b in 0 ..< w { idx[i * w + b] = raw[b] }
                    }
                } else {
                    var v: UInt64 = 0
                    for b in 0 ..< w { v |= UInt64(idx[i * w + b]) << (8 * b) }
                    guard v < UInt64(n) else {
                        throw LanceError(.invalidInput, "dictionary index \(v) at row \(i) is out of range (\(n) values)", column: field.name)
                    }
                }
            }
            let items = hasNulls ? ArrayData.concat([dict, ArrayData.nulls(valueType, count: 1)]) : dict
            let i0 = buffers.count
            buffers.append(idx)
            var d = Lance_Encodings_Dictionary()
            d.indices = noNulls(flat(bits: w * 8, buffer: i0))
            d.items = try leafEncoding(items, field: field, buffers: &buffers)
            d.numDictionaryItems = UInt32(items.count)
            var e = AE()
            e.arrayEncoding = .dictionary(d)
            return e
        case .null:
            var n = Lance_Encodings_Nullable()
            n.nullability = .allNulls(Lance_Encodings_Nullable.AllNull())
            var e = AE()
            e.arrayEncoding = .nullable(n)
            return e
        default:
            guard let w = a.type.byteWidth else {
                throw LanceError(.unsupported, "type \(a.type) is not supported by the 2.0 writer", column: field.name)
            }
            var validityIndex: Int?
            if a.nullCount > 0 {
                validityIndex = buffers.count
                buffers.append(WriterUtil.validityBytes(a))
            }
            let vi = buffers.count
            buffers.append(a.buffers[0].slice(0, a.count * w).bytes)
            let values = flat(bits: w * 8, buffer: vi)
            if let validityIndex { return someNulls(validity: flat(bits: 1, buffer: validityIndex), values: values) }
            return noNulls(values)
        }
    }
}
