/// Einstein summation over one or two tensors, e.g.
///
/// ```swift
/// einsum("bqhd,bkhd->bhqk", q, k)        // attention scores
/// einsum("bhqk,bkhd->bqhd", pattern, v)  // mixed values z
/// einsum("bphd,hdm->bpm", z, wO)         // attention output
/// einsum("bpd,d->bp", resid, direction)  // projections
/// einsum("ij->ji", m)                    // transpose
/// ```
///
/// Each letter names an axis. Letters present in both inputs and the output are batch axes,
/// letters in both inputs but not the output are summed (contracted), and letters in one input
/// only are kept if the output names them and summed otherwise. A missing `->output` means the
/// letters that occur once, in alphabetical order (NumPy's rule). Two-operand forms run as one
/// batched GEMM between permutes, reshapes and sums, so they are differentiable and fast.
/// - Precondition: the spec is well formed, names each operand's axes once and gives one
///   extent per letter. Repeated letters within one operand (diagonals) are not supported.
public func einsum(_ spec: String, _ operands: Tensor...) -> Tensor {
    let parsed = EinsumSpec(spec, operandCount: operands.count)
    for (letters, t) in zip(parsed.inputs, operands) {
        precondition(letters.count == t.rank, "einsum \"\(spec)\": operand of shape \(t.shape) needs \(letters.count) axes")
    }
    var extents: [Character: Int] = [:]
    for (letters, t) in zip(parsed.inputs, operands) {
        for (c, e) in zip(letters, t.shape) {
            if let known = extents[c] {
                precondition(known == e, "einsum \"\(spec)\": axis \(c) has extents \(known) and \(e)")
            }
            extents[c] = e
        }
    }
    if operands.count == 1 {
        return reduceAndPermute(operands[0], parsed.inputs[0], to: parsed.output)
    }
    let (a0, b0) = (operands[0], operands[1])
    let (la, lb) = (parsed.inputs[0], parsed.inputs[1])
    // Sum out letters that appear in only one operand and not in the output.
    let keepA = la.filter { lb.contains($0) || parsed.output.contains($0) }
    let keepB = lb.filter { la.contains($0) || parsed.output.contains($0) }
    let a = reduceAndPermute(a0, la, to: keepA), b = reduceAndPermute(b0, lb, to: keepB)

    let batch = keepA.filter { keepB.contains($0) && parsed.output.contains($0) }
    let contract = keepA.filter { keepB.contains($0) && !parsed.output.contains($0) }
    let freeA = keepA.filter { !keepB.contains($0) }
    let freeB = keepB.filter { !keepA.contains($0) }
    func size(_ letters: [Character]) -> Int { letters.reduce(1) { $0 * extents[$1]! } }

    // Lay each operand out as [batch, rows, inner] or [batch, inner, rows], whichever needs no
    // copy, and let the GEMM's transpose flags absorb the difference.
    let aDirect = batch + freeA + contract, aSwapped = batch + contract + freeA
    let transposeA = keepA == aSwapped && keepA != aDirect
    let aLayout = transposeA ? aSwapped : aDirect
    let bDirect = batch + contract + freeB, bSwapped = batch + freeB + contract
    let transposeB = keepB == bSwapped && keepB != bDirect
    let bLayout = transposeB ? bSwapped : bDirect

    let am = reduceAndPermute(a, keepA, to: aLayout)
    let bm = reduceAndPermute(b, keepB, to: bLayout)
    let (nb, m, k, n) = (size(batch), size(freeA), size(contract), size(freeB))
    let a3 = am.reshaped(transposeA ? [nb, k, m] : [nb, m, k])
    let b3 = bm.reshaped(transposeB ? [nb, n, k] : [nb, k, n])
    let product = a3.matmul(b3, transposeSelf: transposeA, transposeOther: transposeB)
    let resultLetters = batch + freeA + freeB
    let result = product.reshaped(resultLetters.map { extents[$0]! })
    return reduceAndPermute(result, resultLetters, to: parsed.output)
}

/// Sums the axes of `t` (named `letters`) that `target` lacks, then permutes to `target`.
private func reduceAndPermute(_ t: Tensor, _ letters: [Character], to target: [Character]) -> Tensor {
    var current = letters
    var x = t
    let drop = current.indices.filter { !target.contains(current[$0]) }
    if !drop.isEmpty {
        x = x.sum(axes: drop)
        current = current.filter { target.contains($0) }
    }
    precondition(Set(target).isSubset(of: Set(current)), "einsum: output axes \(String(target)) not all present")
    let perm = target.map { current.firstIndex(of: $0)! }
    return x.permuted(perm)
}

/// A parsed einsum specification.
private struct EinsumSpec {
    let inputs: [[Character]]
    let output: [Character]

    init(_ spec: String, operandCount: Int) {
        let compact = spec.filter { !$0.isWhitespace }
        let sides = compact.components(separatedBy: "->")
        precondition(sides.count <= 2, "einsum \"\(spec)\": more than one ->")
        inputs = sides[0].split(separator: ",", omittingEmptySubsequences: false).map { Array($0) }
        precondition(inputs.count == operandCount && (1...2).contains(operandCount),
                     "einsum \"\(spec)\": expects \(inputs.count) operands, got \(operandCount) (1 or 2 supported)")
        for letters in inputs {
            precondition(letters.allSatisfy(\.isLetter), "einsum \"\(spec)\": axis names must be letters")
            precondition(Set(letters).count == letters.count,
                         "einsum \"\(spec)\": repeated axis within one operand (diagonals) is not supported")
        }
        if sides.count == 2 {
            output = Array(sides[1])
            precondition(Set(output).count == output.count && output.allSatisfy { c in inputs.contains { $0.contains(c) } },
                         "einsum \"\(spec)\": output axes must be distinct letters that occur in an input")
        } else {
            let all = inputs.flatMap { $0 }
            output = Set(all).filter { c in all.filter { $0 == c }.count == 1 }.sorted()
        }
    }
}
