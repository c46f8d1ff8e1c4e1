import LensSIMD

// Strided copies: one pair of kernels (gather into contiguous / scatter from contiguous) serves
// permute, transpose, slicing with steps, broadcasting (stride 0) and the gradient of all of
// them. Dimensions that are contiguous in every operand are merged first, so a permutation
// that keeps the last axis copies whole rows.

/// Row-major strides of a contiguous array of `shape`.
public func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for d in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[d] = s
        s *= shape[d]
    }
    return strides
}

/// A shape and the strides of several operands over it, after merging dimensions.
public struct StridedDims {
    public var shape: [Int]
    public var strides: [[Int]]
}

/// Drops size-1 dimensions and merges neighbours that are contiguous in every operand.
public func coalesce(shape: [Int], strides: [[Int]]) -> StridedDims {
    var outShape: [Int] = []
    var outStrides = [[Int]](repeating: [], count: strides.count)
    for d in 0..<shape.count where shape[d] != 1 {
        if let last = outShape.last,
           strides.indices.allSatisfy({ outStrides[$0].last! == strides[$0][d] * shape[d] }) {
            outShape[outShape.count - 1] = last * shape[d]
            for k in strides.indices { outStrides[k][outStrides[k].count - 1] = strides[k][d] }
        } else {
            outShape.append(shape[d])
            for k in strides.indices { outStrides[k].append(strides[k][d]) }
        }
    }
    if shape.contains(0) { return StridedDims(shape: [0], strides: strides.map { _ in [1] }) }
    return StridedDims(shape: outShape, strides: outStrides)
}

/// Calls `body` once per row (every index of all but the last dimension) with the starting
/// offset of that row in each operand.
public func forEachRow(_ dims: StridedDims, _ body: (UnsafeMutablePointer<Int>) -> Void) {
    let rank = dims.shape.count
    let operands = dims.strides.count
    if dims.shape.contains(0) { return }
    withUnsafeTemporaryAllocation(of: Int.self, capacity: operands + rank) { buffer in
        let offsets = buffer.baseAddress!
        let index = offsets + operands
        offsets.update(repeating: 0, count: operands)
        index.update(repeating: 0, count: rank)
        while true {
            body(offsets)
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                for k in 0..<operands { offsets[k] += dims.strides[k][d] }
                if index[d] < dims.shape[d] { break }
                for k in 0..<operands { offsets[k] -= dims.strides[k][d] * dims.shape[d] }
                index[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }
}

/// dst (contiguous, `shape`) = src[Σ idx·strides]. Covers permutes (permuted strides), slices
/// (offset source pointer, scaled strides) and broadcasts (stride 0).
public func copyStrided(_ src: UnsafePointer<Float>, shape: [Int], strides: [Int], _ dst: UnsafeMutablePointer<Float>) {
    let dims = coalesce(shape: shape, strides: [strides, contiguousStrides(shape)])
    let rank = dims.shape.count
    if rank == 0 {
        dst[0] = src[0]
        return
    }
    let n = dims.shape[rank - 1]
    let step = dims.strides[0][rank - 1]
    if rank == 2 && step != 1 && step != 0 && dims.strides[0][0] == 1 {
        transposeBlocked(src, rows: dims.shape[0], cols: n, ld: step, dst)
        return
    }
    forEachRow(dims) { offsets in
        let s = src + offsets[0], d = dst + offsets[1]
        switch step {
        case 1: d.update(from: s, count: n)
        case 0: d.update(repeating: s[0], count: n)
        default: for i in 0..<n { d[i] = s[i * step] }
        }
    }
}

/// dst[Σ idx·strides] (+)= src (contiguous, `shape`). With `accumulate`, positions reached
/// several times (stride 0) receive the sum: this is the gradient of a broadcast.
public func writeStrided(_ src: UnsafePointer<Float>, shape: [Int], _ dst: UnsafeMutablePointer<Float>, strides: [Int],
                         accumulate: Bool) {
    let dims = coalesce(shape: shape, strides: [strides, contiguousStrides(shape)])
    let rank = dims.shape.count
    if rank == 0 {
        dst[0] = accumulate ? dst[0] + src[0] : src[0]
        return
    }
    let n = dims.shape[rank - 1]
    let step = dims.strides[0][rank - 1]
    forEachRow(dims) { offsets in
        let d = dst + offsets[0], s = src + offsets[1]
        switch (step, accumulate) {
        case (1, true): add(d, s, d, n)
        case (1, false): d.update(from: s, count: n)
        case (0, true): d[0] += sum(s, n)
        case (0, false): d[0] = s[n - 1]
        case (_, true): for i in 0..<n { d[i * step] += s[i] }
        case (_, false): for i in 0..<n { d[i * step] = s[i] }
        }
    }
}

/// dst[i, j] = src[i + j·ld] for a contiguous rows×cols `dst` (a transpose), in 32×32 blocks so
/// that the strided side stays in cache.
private func transposeBlocked(_ src: UnsafePointer<Float>, rows: Int, cols: Int, ld: Int, _ dst: UnsafeMutablePointer<Float>) {
    let block = 32
    var i0 = 0
    while i0 < rows {
        let i1 = min(i0 + block, rows)
        var j0 = 0
        while j0 < cols {
            let j1 = min(j0 + block, cols)
            for j in j0..<j1 {
                let s = src + j * ld
                for i in i0..<i1 { dst[i * cols + j] = s[i] }
            }
            j0 = j1
        }
        i0 = i1
    }
}

/// out[i, :] = table[indices[i], :] for i < count (an embedding lookup). Indices must be valid.
public func gatherRows(_ table: UnsafePointer<Float>, rowLength: Int, _ indices: UnsafePointer<Int>, count: Int,
                       _ out: UnsafeMutablePointer<Float>) {
    for i in 0..<count {
        (out + i * rowLength).update(from: table + indices[i] * rowLength, count: rowLength)
    }
}

/// table[indices[i], :] += rows[i, :] for i < count (the gradient of `gatherRows`).
public func scatterAddRows(_ rows: UnsafePointer<Float>, rowLength: Int, _ indices: UnsafePointer<Int>, count: Int,
                           _ table: UnsafeMutablePointer<Float>) {
    for i in 0..<count {
        let dst = table + indices[i] * rowLength
        add(dst, rows + i * rowLength, dst, rowLength)
    }
}
