package io.laminar.model.exec;

import io.laminar.kernels.CpuKernels;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.weights.StageWeights;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * A way to run stages: the built-in CPU backend, or a device backend found at run time through
 * {@link ServiceLoader} (the {@code tornado} module registers {@code tornadovm}). Nothing at compile
 * time depends on a device backend, so the default build needs no SDK; asking for one that is not
 * on the class path fails with {@link UnavailableException}, which says how to get it.
 */
public interface StageBackend {
    /** The built-in backend: {@link StageRunner} on the SIMD CPU kernels. */
    String CPU = "cpu";
    /** The TornadoVM backend (module {@code tornado}, loaded when present). */
    String TORNADOVM = "tornadovm";

    /** The name {@code --backend} selects this backend by. */
    String name();

    /**
     * Opens a stage: uploads its weights and allocates its KV cache where the backend computes.
     *
     * @param spec what the stage runs and how large its buffers are
     * @throws UnavailableException when the backend's runtime (driver, device) cannot be used here
     */
    StageExecutor open(Spec spec);

    /**
     * Bytes one key or value takes in this backend's KV cache at {@code precision}: what a KV memory
     * budget buys. The default is a float, for backends that keep their cache in single precision.
     */
    default int kvBytesPerValue(KvPrecision precision) {
        return Float.BYTES;
    }

    /**
     * What a stage runs and with what capacity.
     *
     * @param config        the model
     * @param weights       the stage's layers (mapped from the file)
     * @param kvBlockSize   positions per KV block
     * @param kvBlocks      blocks in the stage's KV pool
     * @param maxSequences  KV slots
     * @param context       the longest sequence a slot holds
     * @param kvPrecision   precision of keys and values
     * @param maxBatch      the most tokens one step carries
     * @param cpu           the process's CPU kernels (the CPU backend computes with them)
     */
    record Spec(ModelConfig config, StageWeights weights, int kvBlockSize, int kvBlocks, int maxSequences,
                int context, KvPrecision kvPrecision, int maxBatch, CpuKernels cpu) {

        /** A KV cache of this shape holding its keys and values in host arrays. */
        public KvCache newKvCache() {
            return new KvCache(weights.layers().length, config.kvDim(), kvBlockSize, kvBlocks, maxSequences, context,
                    kvPrecision);
        }

        /** The block tables of a KV cache of this shape, for a backend that stores keys and values elsewhere. */
        public KvCache newKvIndex() {
            return KvCache.withoutStorage(weights.layers().length, config.kvDim(), kvBlockSize, kvBlocks, maxSequences,
                    context, kvPrecision);
        }
    }

    /** A backend that was asked for but cannot be used here; the message says what is missing. */
    final class UnavailableException extends RuntimeException {
        public UnavailableException(String message) {
            super(message);
        }

        public UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The built-in CPU backend. */
    StageBackend CPU_BACKEND = new StageBackend() {
        @Override
        public String name() {
            return CPU;
        }

        @Override
        public StageExecutor open(Spec spec) {
            return new StageRunner(spec.config(), spec.weights(), spec.cpu(), spec.newKvCache(), spec.maxBatch());
        }

        @Override
        public int kvBytesPerValue(KvPrecision precision) {
            return precision.bytes();
        }
    };

    /**
     * The backend called {@code name} (case-insensitive): {@code cpu}, or one registered through
     * {@link ServiceLoader}.
     *
     * @throws UnavailableException when no such backend is on the class path
     */
    static StageBackend named(String name) {
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        if (wanted.equals(CPU)) {
            return CPU_BACKEND;
        }
        List<String> found = new ArrayList<>();
        found.add(CPU);
        for (StageBackend b : ServiceLoader.load(StageBackend.class)) {
            if (b.name().equals(wanted)) {
                return b;
            }
            found.add(b.name());
        }
        if (wanted.equals(TORNADOVM)) {
            throw new UnavailableException("backend=tornadovm is not available: the Laminar TornadoVM module "
                    + "(tornado/target/laminar-tornado.jar) and the TornadoVM SDK are not on this JVM's class and "
                    + "module paths. Build it with TORNADOVM_HOME pointing at the SDK (mvn -B package builds it "
                    + "then) and start through ./laminar, which adds both and the SDK's JVM flags; see "
                    + "docs/tornadovm.md. Available backends: " + String.join(", ", found));
        }
        throw new UnavailableException("backend=" + name + " is unknown; available backends: " + String.join(", ", found));
    }

    /**
     * The backend of each of {@code stages} stages from a {@code --backend} value: one name for all,
     * or one per stage separated by commas ({@code cpu,tornadovm}).
     */
    static List<String> perStage(List<String> names, int stages) {
        if (names == null || names.isEmpty()) {
            return java.util.Collections.nCopies(stages, CPU);
        }
        if (names.size() == 1) {
            return java.util.Collections.nCopies(stages, names.getFirst().trim().toLowerCase(Locale.ROOT));
        }
        if (names.size() != stages) {
            throw new IllegalArgumentException("--backend names " + names.size() + " backends (" + String.join(",", names)
                    + ") for " + stages + " stages: give one for all stages or one per stage");
        }
        return names.stream().map(n -> n.trim().toLowerCase(Locale.ROOT)).toList();
    }
}
