import Foundation
import LanceArrow
import LanceCore
import LanceExpr
import LanceKernels

extension Dataset {
    /// Starts a k-nearest-neighbour query for `vector` over `column` (the dataset's only vector column when nil).
    ///
    /// The query uses the column's IVF_PQ / IVF_FLAT index when there is one (rows appended after the index was
    /// built are searched exactly and merged), and an exact scan otherwise or with ``VectorQuery/bypassVectorIndex()``.
    /// Each result row carries `_distance` (float32) after the selected columns, in the reference's units:
    /// `l2` squared Euclidean; `cosine` 1 − cosine similarity; `dot` 1 − dot product (pylance 14's definition).
    public func search(_ vector: [Float], column: String? = nil) -> VectorQuery {
        VectorQuery(dataset: self, vector: vector, column: column)
    }
}

/// A vector search, configured by chaining and run with ``toBatch()``, ``toArray()`` or ``decode(_:)``.
public struct VectorQuery: Sendable {
    public let dataset: Dataset
    public private(set) var vector: [Float]
    public private(set) var column: String?
    public private(set) var metricOverride: DistanceMetric?
    public private(set) var nprobesValue: Int = 20
    public private(set) var refineFactorValue: Int?
    public private(set) var filter: String?
    public private(set) var prefilter = true
    public private(set) var columns: [String]?
    public private(set) var limitValue: Int = 10
    public private(set) var offsetValue: Int = 0
    public private(set) var withRowIdValue = false
    public private(set) var bypassIndex = false

    init(dataset: Dataset, vector: [Float], column: String?) {
        self.dataset = dataset
        self.vector = vector
        self.column = column
    }

    /// The distance to rank by (default: the index's metric, or L2 without an index). A metric different from
    /// the index's one makes the search exact.
    public func metric(_ m: DistanceMetric) -> VectorQuery { var q = self; q.metricOverride = m; return q }
    /// Partitions of the IVF index to probe (default 20).
    public func nprobes(_ n: Int) -> VectorQuery { var q = self; q.nprobesValue = n; return q }
    /// Re-ranks `limit × factor` index candidates with exact distances from the stored vectors.
    public func refineFactor(_ f: Int?) -> VectorQuery { var q = self; q.refineFactorValue = f; return q }
    /// A SQL filter; applied before the vector search (`prefilter`, the default) or to its results.
    public func `where`(_ sql: String, prefilter: Bool = true) -> VectorQuery {
        var q = self; q.filter = sql; q.prefilter = prefilter; return q
    }
    /// Columns to return (all when nil), before `_distance`.
    public func select(_ columns: [String]?) -> VectorQuery { var q = self; q.columns = columns; return q }
    /// Number of results (k), default 10.
    public func limit(_ n: Int) -> VectorQuery { var q = self; q.limitValue = n; return q }
    /// Results to skip (the search finds `offset + limit`, then drops the first `offset`).
    public func offset(_ n: Int) -> VectorQuery { var q = self; q.offsetValue = n; return q }
    /// Adds `_rowid` after `_distance`.
    public func withRowId(_ on: Bool = true) -> VectorQuery { var q = self; q.withRowIdValue = on; return q }
    /// Searches exactly even when an index exists.
    public func bypassVectorIndex(_ on: Bool = true) -> VectorQuery { var q = self; q.bypassIndex = on; return q }

    /// The results as one record batch, closest first.
    public func toBatch() async throws -> RecordBatch {
        try await execute().batch
    }

    /// The results as record batches (one batch).
    public func toArray() async throws -> [RecordBatch] { [try await toBatch()] }

    /// The results decoded row by row into `T` (through their JSON rendering: column names are the keys).
    public func decode<T: Decodable>(_ type: T.Type) async throws -> [T] {
        let batch = try await toBatch()
        let decoder = JSONDecoder()
        var out: [T] = []
        out.reserveCapacity(batch.count)
        for i in 0 ..< batch.count {
            let line = try batch.jsonRow(i).serialized()
            do {
                out.append(try decoder.decode(T.self, from: Data(line.utf8)))
            } catch {
                throw LanceError.invalid("result row \(i) does not decode as \(T.self): \(error)")
            }
        }
        return out
    }

    /// What a run did, for tests and the CLI.
    public struct Plan: Sendable, Hashable {
        public var usedIndex: String?
        public var metric: DistanceMetric
        public var indexedCandidates: Int
        public var unindexedFragments: [UInt64]
    }

    /// Runs the query; returns the batch and how it was executed.
    public func execute() async throws -> (batch: RecordBatch, plan: Plan) {
        let ds = dataset
        let col = try ds.vectorColumn(column)
        guard vector.count == col.dim else {
            throw LanceError(.invalidInput,
                             "the query vector has \(vector.count) dimensions, column `\(col.name)` has \(col.dim)",
                             column: col.name)
        }
        guard vector.allSatisfy({ $0.isFinite }) else {
            throw LanceError(.invalidInput, "the query vector contains NaN or infinite values", column: col.name)
        }
        guard limitValue >= 0 else { throw LanceError.invalid("limit must not be negative") }
        guard offsetValue >= 0 else { throw LanceError.invalid("offset must not be negative") }
        guard nprobesValue >= 1 else { throw LanceError.invalid("nprobes must be at least 1") }
        if let r = refineFactorValue, r < 1 || r > 1 << 16 {
            throw LanceError.invalid("refine factor must be between 1 and 65536")
        }
        guard limitValue <= 1 << 30, offsetValue <= 1 << 30 else {
            throw LanceError.invalid("limit and offset must be at most 2^30")
        }
        let outFields = try ds.resolve(columns: columns)
        let bound = try filter.map { try ds.bindFilter($0) }
        let k = limitValue + offsetValue

        // The index to use, if any.
        var index: (info: IndexInfo, loaded: LoadedVectorIndex)?
        if !bypassIndex {
            for info in try ds.indices() where info.fields == [col.name] && ["IVF_PQ", "IVF_FLAT"].contains(info.type) {
                let loaded = try await LoadedVectorIndex.load(dataset: ds, uuid: info.uuid, column: col,
                                                              fragmentIds: info.fragmentIds ?? [])
                if metricOverride == nil || metricOverride == loaded.metric {
                    index = (info, loaded)
                    break
                }
            }
        }
        let metric = metricOverride ?? index?.loaded.metric ?? .l2

        // Rows a result may come from.
        var mask = try await ds.liveRowMask()
        if let bound, prefilter {
            let matching = try await ds.cachedRowMask(matching: bound)
            mask = RowMask(fragments: matching.fragments)
        }

        var neighbors: [Neighbor]
        var plan = Plan(usedIndex: nil, metric: metric, indexedCandidates: 0, unindexedFragments: [])
        let searchK = (bound != nil && !prefilter) ? k : k
        if let (info, loaded) = index {
            plan.usedIndex = info.name
            let candidatesK = searchK * (refineFactorValue ?? 1)
            // Stable row ids: the index holds row ids; map its hits to row addresses.
            let addressOf = ds.usesStableRowIds ? try await ds.rowIdAddressMap() : nil
            var found = try await loaded.search(vector, nprobes: nprobesValue, k: candidatesK, mask: mask,
                                            addressOf: addressOf)
            plan.indexedCandidates = found.count
            let unindexed = ds.fragments.filter { !loaded.fragmentIds.contains($0.id) }
            plan.unindexedFragments = unindexed.map(\.id)
            if refineFactorValue != nil {
                // Re-rank the k × refine candidates with exact distances.
                let exact = try await ds.exactDistances(column: col, query: vector, metric: metric,
                                                        addresses: found.map(\.id))
                var top = TopK(k: searchK)
                for (n, d) in zip(found, exact) { top.push(d, id: n.id) }
                found = top.sorted()
            }
            if !unindexed.isEmpty {
                // As the reference does: exact distances for the index's k results, merged with an exact search of
                // the fragments the index does not cover.
                if refineFactorValue == nil {
                    let exact = try await ds.exactDistances(column: col, query: vector, metric: metric,
                                                            addresses: found.map(\.id))
                    found = zip(found, exact).map { Neighbor(distance: $0.1, id: $0.0.id) }
                }
                var top = TopK(k: searchK)
                for n in found { top.push(n.distance, id: n.id) }
                for n in try await ds.exactSearch(column: col, query: vector, metric: metric, k: searchK, mask: mask,
                                                  fragments: unindexed) {
                    top.push(n.distance, id: n.id)
                }
                found = top.sorted()
            } else {
                found = Array(found.prefix(searchK))
            }
            neighbors = found
        } else {
            neighbors = try await ds.exactSearch(column: col, query: vector, metric: metric, k: searchK, mask: mask,
                                                 fragments: ds.fragments)
        }

        // Postfilter: keep the results the filter accepts.
        if let bound, !prefilter, !neighbors.isEmpty {
            let rows = try await ds.take(rowAddresses: neighbors.map(\.id), columns: bound.referencedColumns)
            let keep = try bound.mask(rows)
            neighbors = zip(neighbors, keep).filter { $0.1 }.map { $0.0 }
        }
        let page = Array(neighbors.dropFirst(offsetValue).prefix(limitValue))
        let rows = try await ds.take(rowAddresses: page.map(\.id), columns: outFields.map(\.name),
                                     withRowId: withRowIdValue)
        var fields = rows.schema.fields
        var arrays = rows.columns
        let distance = ArrayData.primitive(.float32, values: page.map(\.distance))
        if withRowIdValue, let last = fields.last, last.name == VirtualColumn.rowId {
            fields.insert(Field("_distance", .float32), at: fields.count - 1)
            arrays.insert(distance, at: arrays.count - 1)
        } else {
            fields.append(Field("_distance", .float32))
            arrays.append(distance)
        }
        return (try RecordBatch(schema: Schema(fields), columns: arrays), plan)
    }
}
