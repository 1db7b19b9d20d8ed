import LanceArrow
import LanceCore
import LanceKernels

extension Dataset {
    /// The vector stored at live row `offset` of `column` (the only vector column when nil), as Float32.
    public func vector(atRow offset: Int, column: String? = nil) async throws -> [Float] {
        let col = try vectorColumn(column)
        let batch = try await take(offsets: [offset], columns: [col.name])
        guard let array = batch.column(col.name), array.count == 1 else {
            throw LanceError(.internal, "take did not return the vector column")
        }
        guard !array.isNull(0), let items = array.children.first else {
            throw LanceError(.invalidInput, "row \(offset) has a null `\(col.name)`", column: col.name)
        }
        let dim = col.dim
        switch col.itemType {
        case .float32: return (0 ..< dim).map { items.value($0, as: Float.self) }
        case .float64: return (0 ..< dim).map { Float(items.value($0, as: Double.self)) }
        default: return (0 ..< dim).map { DistanceKernels.halfToFloat(items.value($0, as: UInt16.self)) }
        }
    }
}
