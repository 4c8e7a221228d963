package org.gittheta.update;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalInt;
import org.gittheta.tensor.DType;
import org.gittheta.tensor.TensorView;

/**
 * One parameter's side-loaded update ({@link UpdateData}), applied to the values of the file being added: each
 * element is computed in double and rounded to the parameter's dtype.
 */
sealed interface GivenUpdate permits GivenUpdate.LowRank, GivenUpdate.Sparse, GivenUpdate.Ia3, GivenUpdate.Dense {
    /** Writes into {@code out} the updated elements {@code [first, first + count)}, from those of {@code old}. */
    void apply(MemorySegment old, MemorySegment out, DType t, long first, long count);

    /** The inner dimension of low-rank factors. */
    default OptionalInt rank() {
        return OptionalInt.empty();
    }

    /** The factors themselves as the stored low-rank form, when the parameter is the 2-D matrix R·C is. */
    default Optional<Reconstruction.LowRank> factors() {
        return Optional.empty();
    }

    /**
     * new = old + R @ C as numpy computes it: R is (..., m, r), C is (..., r, n), batch dimensions broadcast,
     * and the product broadcasts onto the parameter.
     *
     * @param product maps a parameter element to its element of the product (batch × m × n)
     * @param rBatch  maps a batch index of the product to R's batch index; {@code cBatch} likewise for C
     */
    record LowRank(
            double[] r,
            double[] c,
            int m,
            int k,
            int n,
            Broadcast product,
            Broadcast rBatch,
            Broadcast cBatch,
            boolean isMatrix)
            implements GivenUpdate {
        @Override
        public void apply(MemorySegment old, MemorySegment out, DType t, long first, long count) {
            TensorView o = new TensorView(old, t), w = new TensorView(out, t);
            for (long i = 0; i < count; i++) {
                long p = product.map(first + i);
                long j = p % n, q = p / n, row = q % m, b = q / m;
                long ro = (rBatch.map(b) * m + row) * k, co = cBatch.map(b) * k * n + j;
                double dot = 0;
                for (int x = 0; x < k; x++) dot += r[(int) (ro + x)] * c[(int) (co + (long) x * n)];
                w.set(i, o.get(i) + dot);
            }
        }

        @Override
        public OptionalInt rank() {
            return OptionalInt.of(k);
        }

        @Override
        public Optional<Reconstruction.LowRank> factors() {
            if (!isMatrix) return Optional.empty();
            float[] left = new float[r.length], rightT = new float[c.length];
            for (int i = 0; i < r.length; i++) left[i] = (float) r[i];
            for (int x = 0; x < k; x++) for (int j = 0; j < n; j++) rightT[j * k + x] = (float) c[x * n + j];
            return Optional.of(new Reconstruction.LowRank(k, m, n, 1f, left, rightT, true));
        }
    }

    /** new = old + a sparse matrix: {@code positions} ascending and distinct, duplicates of the CSR data summed. */
    record Sparse(long[] positions, double[] values) implements GivenUpdate {
        @Override
        public void apply(MemorySegment old, MemorySegment out, DType t, long first, long count) {
            MemorySegment.copy(old, 0, out, 0, count * t.byteWidth());
            TensorView o = new TensorView(old, t), w = new TensorView(out, t);
            int at = Arrays.binarySearch(positions, first);
            for (int i = at < 0 ? -at - 1 : at; i < positions.length && positions[i] < first + count; i++) {
                long e = positions[i] - first;
                w.set(e, o.get(e) + values[i]);
            }
        }
    }

    /** new = old × ia3, the ia3 tensor broadcast onto the parameter. */
    record Ia3(UpdateTensor ia3, Broadcast broadcast) implements GivenUpdate {
        @Override
        public void apply(MemorySegment old, MemorySegment out, DType t, long first, long count) {
            TensorView o = new TensorView(old, t), w = new TensorView(out, t);
            for (long i = 0; i < count; i++) w.set(i, o.get(i) * ia3.get(broadcast.map(first + i)));
        }
    }

    /** new = the given tensor, broadcast onto the parameter: its bytes when the dtypes agree, else rounded. */
    record Dense(UpdateTensor value, Broadcast broadcast) implements GivenUpdate {
        @Override
        public void apply(MemorySegment old, MemorySegment out, DType t, long first, long count) {
            TensorView w = new TensorView(out, t);
            for (long i = 0; i < count; i++) {
                long from = broadcast.map(first + i);
                if (value.dtype() == t) value.copyElement(from, out, i * t.byteWidth());
                else w.set(i, value.get(from));
            }
        }
    }
}
