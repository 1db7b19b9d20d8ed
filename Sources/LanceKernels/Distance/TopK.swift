/// One search hit: a distance and the caller's identifier (row id, row address, or position).
public struct Neighbor: Sendable, Equatable, Hashable {
    public var distance: Float
    public var id: UInt64

    @inlinable
    public init(distance: Float, id: UInt64) {
        self.distance = distance
        self.id = id
    }

    /// Total order used everywhere in search: by distance, then by id (deterministic ties).
    @inlinable
    public static func before(_ a: Neighbor, _ b: Neighbor) -> Bool {
        a.distance < b.distance || (a.distance == b.distance && a.id < b.id)
    }
}

/// Keeps the `k` smallest (distance, id) pairs seen, in a bounded max-heap: O(n log k), no full sort.
/// NaN distances are ignored (a vector with NaN components, or a zero vector under cosine, never ranks).
public struct TopK: Sendable {
    public let k: Int
    @usableFromInline var heap: [Neighbor]

    public init(k: Int) {
        precondition(k >= 0, "TopK: negative k")
        self.k = k
        heap = []
        heap.reserveCapacity(min(k, 1 << 16))
    }

    public var count: Int { heap.count }
    public var isFull: Bool { heap.count >= k }

    /// The distance a new candidate must beat (strictly, or tie with a smaller id) once full; +inf before.
    @inlinable
    public var threshold: Float { heap.count >= k ? (heap.first?.distance ?? -.infinity) : .infinity }

    @inlinable
    public mutating func push(_ distance: Float, id: UInt64) {
        if distance.isNaN || k == 0 { return }
        let n = Neighbor(distance: distance, id: id)
        if heap.count < k {
            heap.append(n)
            siftUp(heap.count - 1)
        } else if Neighbor.before(n, heap[0]) {
            heap[0] = n
            siftDown(0)
        }
    }

    /// Pushes `distances[i]` with id `idBase + i` (or `ids[i]` when given).
    public mutating func push(distances: UnsafeBufferPointer<Float>, idBase: UInt64) {
        for i in 0..<distances.count {
            let d = distances[i]
            if d <= threshold { push(d, id: idBase &+ UInt64(i)) }
        }
    }

    public mutating func push(distances: UnsafeBufferPointer<Float>, ids: UnsafeBufferPointer<UInt64>) {
        precondition(ids.count >= distances.count, "TopK.push: fewer ids than distances")
        for i in 0..<distances.count {
            let d = distances[i]
            if d <= threshold { push(d, id: ids[i]) }
        }
    }

    public mutating func merge(_ other: TopK) {
        for n in other.heap { push(n.distance, id: n.id) }
    }

    /// The kept neighbours, closest first.
    public func sorted() -> [Neighbor] {
        heap.sorted(by: Neighbor.before)
    }

    @usableFromInline
    mutating func siftUp(_ start: Int) {
        var i = start
        let item = heap[i]
        while i > 0 {
            let parent = (i - 1) >> 1
            if Neighbor.before(heap[parent], item) {
                heap[i] = heap[parent]
                i = parent
            } else { break }
        }
        heap[i] = item
    }

    @usableFromInline
    mutating func siftDown(_ start: Int) {
        var i = start
        let n = heap.count
        let item = heap[i]
        while true {
            let l = 2 * i + 1
            if l >= n { break }
            var c = l
            if l + 1 < n && Neighbor.before(heap[l], heap[l + 1]) { c = l + 1 }
            if Neighbor.before(item, heap[c]) {
                heap[i] = heap[c]
                i = c
            } else { break }
        }
        heap[i] = item
    }
}
