import LanceArrow
import LanceCore
import LanceProto

/// Decoding of file-version 2.0 pages (`lance.encodings.ArrayEncoding`).
///
/// In 2.0 every field owns a column: a struct has an (empty) header column, a list has a column of
/// offsets (`List` pages) and its item field has columns of its own, everything else is one column
/// whose pages each hold a tree of array encodings. Reads are expressed as sorted, disjoint row
/// ranges so that `read` (one range) and `take` (runs of consecutive rows) share one path and only
/// the pages, and within a page only the bytes, that the ranges touch are fetched.
enum V20Decoding {
    static func read(_ file: LanceFileReader, field: LanceField, columns: [Int32: Int], rows: Range<Int>) async throws -> ArrayData {
        let reader = V20FieldReader(file: file, columns: columns)
        return try await reader.readField(field, ranges: rows.isEmpty ? [] : [rows])
    }

    static func take(_ file: LanceFileReader, field: LanceField, columns: [Int32: Int], rows: [Int]) async throws -> ArrayData {
        let reader = V20FieldReader(file: file, columns: columns)
        return try await reader.readField(field, ranges: V20Ranges.runs(rows))
    }
}

/// Helpers over lists of sorted, disjoint ranges.
enum V20Ranges {
    /// Runs of consecutive values of an ascending list.
    static func runs(_ rows: [Int]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0
        while i < rows.count {
            var j = i + 1
            while j < rows.count && rows[j] == rows[j - 1] + 1 { j += 1 }
            out.append(rows[i] ..< rows[j - 1] + 1)
            i = j
        }
        return out
    }

    static func total(_ ranges: [Range<Int>]) -> Int { ranges.reduce(0) { $0 + $1.count } }

    /// Appends `r`, merging it into the last range when they touch.
    static func append(_ r: Range<Int>, to list: inout [Range<Int>]) {
        if r.isEmpty { return }
        if let last = list.last, last.upperBound == r.lowerBound {
            list[list.count - 1] = last.lowerBound ..< r.upperBound
        } else {
            list.append(r)
        }
    }

    /// The parts of `ranges` inside `window`, shifted so that the window starts at 0. `cursor`
    /// (an index into `ranges`) skips ranges that end before the window; windows must come in order.
    static func clip(_ ranges: [Range<Int>], to window: Range<Int>, cursor: inout Int) -> [Range<Int>] {
        while cursor < ranges.count && ranges[cursor].upperBound <= window.lowerBound { cursor += 1 }
        var out: [Range<Int>] = []
        for r in ranges[cursor...] {
            if r.lowerBound >= window.upperBound { break }
            let lo = max(r.lowerBound, window.lowerBound), hi = min(r.upperBound, window.upperBound)
            if lo < hi { out.append(lo - window.lowerBound ..< hi - window.lowerBound) }
        }
        return out
    }

    /// Multiplies every bound by `k`, failing on overflow.
    static func scaled(_ ranges: [Range<Int>], by k: Int) -> [Range<Int>]? {
        var out: [Range<Int>] = []
        out.reserveCapacity(ranges.count)
        for r in ranges {
            let (a, o1) = r.lowerBound.multipliedReportingOverflow(by: k)
            let (b, o2) = r.upperBound.multipliedReportingOverflow(by: k)
            if o1 || o2 { return nil }
            out.append(a ..< b)
        }
        return out
    }
}

/// Reads fields of a 2.0 file for row ranges.
struct V20FieldReader: Sendable {
    let file: LanceFileReader
    let columns: [Int32: Int]

    func readField(_ field: LanceField, ranges: [Range<Int>]) async throws -> ArrayData {
        let total = V20Ranges.total(ranges)
        switch field.type {
        case .struct:
            if let col = try column(of: field), try isPackedStruct(field, column: col) {
                return try await readPrimitive(field.type, column: col, ranges: ranges)
            }
            var children: [ArrayData] = []
            for child in field.children {
                do {
                    children.append(try await readField(child, ranges: ranges))
                } catch let e as LanceError {
                    throw e.at(column: child.name)
                }
            }
            return ArrayData(type: field.type, count: total, children: children)
        case .list, .largeList:
            guard let col = try column(of: field) else { return ArrayData.nulls(field.type, count: total) }
            return try await readList(field, column: col, ranges: ranges)
        default:
            guard let col = try column(of: field) else { return ArrayData.nulls(field.type, count: total) }
            if case .blob? = try columnEncoding(col).columnEncoding {
                return try await readBlob(field.type, column: col, ranges: ranges)
            }
            return try await readPrimitive(field.type, column: col, ranges: ranges)
        }
    }

    // MARK: Columns and pages

    private func column(of field: LanceField) throws -> Int? {
        guard let col = columns[field.id] else { return nil }
        guard col >= 0 && col < file.columns.count else {
            throw LanceError.corrupt("field `\(field.name)` (id \(field.id)) maps to column \(col) but the file has \(file.columns.count) columns")
        }
        return col
    }

    private func columnEncoding(_ col: Int) throws -> Lance_Encodings_ColumnEncoding {
        let enc = file.columns[col].encoding
        guard enc.location != nil else { return Lance_Encodings_ColumnEncoding() }
        return try LanceFileReader.unpack(enc, as: Lance_Encodings_ColumnEncoding.self, path: file.path, what: "column \(col)")
    }

    private func pageEncoding(_ col: Int, _ page: Int) throws -> Lance_Encodings_ArrayEncoding {
        try LanceFileReader.unpack(file.columns[col].pages[page].encoding, as: Lance_Encodings_ArrayEncoding.self,
                                   path: file.path, what: "column \(col) page \(page)")
    }

    /// A struct is packed when its column's pages say so (the field metadata only matters to writers).
    private func isPackedStruct(_ field: LanceField, column col: Int) throws -> Bool {
        guard !file.columns[col].pages.isEmpty else { return false }
        if case .packedStruct? = try pageEncoding(col, 0).arrayEncoding { return true }
        return false
    }

    /// (page index, first row, row count) of every non-empty page, checked to cover `needed` rows.
    private func pages(_ col: Int, covering needed: Int) throws -> [(index: Int, start: Int, count: Int)] {
        var out: [(Int, Int, Int)] = []
        var start = 0
        for (i, p) in file.columns[col].pages.enumerated() {
            guard p.length <= UInt64(Int32.max) * 64 else {
                throw LanceError.corrupt("column \(col) page \(i) claims \(p.length) rows")
            }
            let n = Int(p.length)
            if n > 0 { out.append((i, start, n)) }
            start += n
        }
        guard start >= needed else {
            throw LanceError.corrupt("column \(col) has \(start) rows in its pages but \(needed) are needed")
        }
        return out
    }

    private func pageContext(_ col: Int, _ page: Int, rows: Int) throws -> V20Page {
        let p = file.columns[col].pages[page]
        let c = file.columns[col]
        guard p.bufferOffsets.count == p.bufferSizes.count, c.bufferOffsets.count == c.bufferSizes.count else {
            throw LanceError.corrupt("column \(col) page \(page) has mismatched buffer offset and size lists")
        }
        return V20Page(file: file, column: col, page: page, rows: rows,
                       pageBuffers: zip(p.bufferOffsets, p.bufferSizes).map { BufferLocation(offset: $0, size: $1) },
                       columnBuffers: zip(c.bufferOffsets, c.bufferSizes).map { BufferLocation(offset: $0, size: $1) })
    }

    private func decodePage<T: Sendable>(_ col: Int, _ page: Int, rows: Int,
                                          _ body: (Lance_Encodings_ArrayEncoding, V20Page) async throws -> T) async throws -> T {
        let ctx = try pageContext(col, page, rows: rows)
        do {
            return try await body(try pageEncoding(col, page), ctx)
        } catch let e as LanceError {
            guard e.code == .corruptFile || e.code == .unsupported, !e.message.hasPrefix("column ") else { throw e }
            var e2 = e
            e2.message = "column \(col) page \(page): " + e.message
            throw e2
        }
    }

    // MARK: Primitive columns

    /// Pages decoded at the same time by one read.
    static let pageConcurrency = 4

    private func readPrimitive(_ type: DataType, column col: Int, ranges: [Range<Int>]) async throws -> ArrayData {
        let needed = ranges.last?.upperBound ?? 0
        var jobs: [(page: Int, rows: Int, local: [Range<Int>])] = []
        var cursor = 0
        for p in try pages(col, covering: needed) {
            if p.start >= needed { break }
            let local = V20Ranges.clip(ranges, to: p.start ..< p.start + p.count, cursor: &cursor)
            if !local.isEmpty { jobs.append((p.index, p.count, local)) }
        }
        if jobs.isEmpty { return V20Arrays.empty(type) }
        if jobs.count == 1 { return try await decodeValues(col, jobs[0].page, rows: jobs[0].rows, type, jobs[0].local) }
        var parts = [ArrayData?](repeating: nil, count: jobs.count)
        try await withThrowingTaskGroup(of: (Int, ArrayData).self) { group in
            var next = 0
            func start(_ i: Int) {
                let job = jobs[i]
                group.addTask { (i, try await self.decodeValues(col, job.page, rows: job.rows, type, job.local)) }
            }
            while next < min(V20FieldReader.pageConcurrency, jobs.count) { start(next); next += 1 }
            while let (i, part) = try await group.next() {
                parts[i] = part
                if next < jobs.count { start(next); next += 1 }
            }
        }
        return V20Arrays.concat(parts.map { $0! })
    }

    private func decodeValues(_ col: Int, _ page: Int, rows: Int, _ type: DataType, _ local: [Range<Int>]) async throws -> ArrayData {
        let part = try await decodePage(col, page, rows: rows) { enc, ctx in
            try await ctx.decode(enc, type, local, depth: 0)
        }
        guard part.count == V20Ranges.total(local) else {
            throw LanceError.corrupt("column \(col) page \(page) decoded \(part.count) values, expected \(V20Ranges.total(local))")
        }
        return part
    }

    // MARK: Lists

    private func readList(_ field: LanceField, column col: Int, ranges: [Range<Int>]) async throws -> ArrayData {
        guard field.children.count == 1 else {
            throw LanceError.corrupt("list field `\(field.name)` has \(field.children.count) children")
        }
        let large = field.type.hasLargeOffsets
        let needed = ranges.last?.upperBound ?? 0
        var lengths: [Int] = []
        var validity: [Bool] = []
        var itemRanges: [Range<Int>] = []
        var itemBase = 0
        var cursor = 0
        for p in try pages(col, covering: needed) {
            let enc = try pageEncoding(col, p.index)
            guard case .list(let list)? = enc.arrayEncoding else {
                throw LanceError.corrupt("column \(col) page \(p.index) of list field `\(field.name)` is not a List encoding")
            }
            guard list.numItems <= UInt64(Int.max / 4), list.nullOffsetAdjustment > 0,
                  list.nullOffsetAdjustment <= UInt64(Int.max / 4) else {
                throw LanceError.corrupt("column \(col) page \(p.index) has an invalid list item count or null adjustment")
            }
            let numItems = Int(list.numItems)
            defer { itemBase += numItems }
            if p.start >= needed { continue }
            let local = V20Ranges.clip(ranges, to: p.start ..< p.start + p.count, cursor: &cursor)
            if local.isEmpty { continue }
            let ext = local.map { $0.lowerBound > 0 ? $0.lowerBound - 1 ..< $0.upperBound : $0 }
            let offsets = try await decodePage(col, p.index, rows: p.count) { _, ctx in
                try await ctx.decode(list.offsets, .uint64, ext, depth: 1)
            }
            guard offsets.count == V20Ranges.total(ext) else {
                throw LanceError.corrupt("column \(col) page \(p.index) decoded \(offsets.count) list offsets, expected \(V20Ranges.total(ext))")
            }
            let adj = Int(list.nullOffsetAdjustment)
            let raw = offsets.buffers[0]
            var k = 0
            for (r, e) in zip(local, ext) {
                var prev = 0
                if e.lowerBound < r.lowerBound {
                    let v = raw.load(UInt64.self, at: k)
                    k += 1
                    prev = try V20Arrays.normalize(v, adj, limit: numItems, what: "list offset", col, p.index)
                }
                let start = prev
                for _ in r {
                    let v = raw.load(UInt64.self, at: k)
                    k += 1
                    let end = try V20Arrays.normalize(v, adj, limit: numItems, what: "list offset", col, p.index)
                    guard end >= prev else {
                        throw LanceError.corrupt("column \(col) page \(p.index): list offsets decrease (\(prev) then \(end))")
                    }
                    lengths.append(end - prev)
                    validity.append(v < UInt64(adj))
                    prev = end
                }
                V20Ranges.append(itemBase + start ..< itemBase + prev, to: &itemRanges)
            }
        }
        let items = try await readField(field.children[0], ranges: itemRanges)
        let totalItems = lengths.reduce(0, +)
        guard items.count == totalItems else {
            throw LanceError.corrupt("list field `\(field.name)` expected \(totalItems) items but its item column yielded \(items.count)")
        }
        guard large || totalItems <= Int(Int32.max) else {
            throw LanceError.unsupported("list field `\(field.name)` has more than 2^31 items in one read; use large_list")
        }
        let offsets = V20Arrays.offsetsBuffer(lengths: lengths, large: large)
        let hasNull = validity.contains(false)
        return ArrayData(type: field.type, count: lengths.count, validity: hasNull ? Bitmap(validity) : nil,
                         buffers: [offsets], children: [items])
    }

    // MARK: Blobs

    private func readBlob(_ type: DataType, column col: Int, ranges: [Range<Int>]) async throws -> ArrayData {
        guard type.isBinaryLike else {
            throw LanceError.unsupported("blob column \(col) for a field of type \(type)")
        }
        let descType = DataType.struct([Field("position", .uint64, nullable: false), Field("size", .uint64, nullable: false)])
        let desc = try await readPrimitive(descType, column: col, ranges: ranges)
        let pos = desc.children[0].buffers[0], size = desc.children[1].buffers[0]
        var valid: [Bool] = []
        var values: [[UInt8]?] = []
        let fileSize = file.object.size
        for i in 0 ..< desc.count {
            let p = pos.load(UInt64.self, at: i), s = size.load(UInt64.self, at: i)
            if s == 0 {
                valid.append(p != 1)
                values.append(p == 1 ? nil : [])
                continue
            }
            guard p <= fileSize, s <= fileSize - p else {
                throw LanceError.corrupt("blob in column \(col) at \(p)+\(s) lies outside the file")
            }
            valid.append(true)
            values.append(try await file.read(offset: p, size: s).bytes)
        }
        return ArrayData.binaries(values, type: type)
    }
}
