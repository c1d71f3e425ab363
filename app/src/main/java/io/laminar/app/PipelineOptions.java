package io.laminar.app;

import io.laminar.actors.HostSettings;
import io.laminar.actors.scheduler.SchedulerSettings;
import io.laminar.actors.serialization.ActivationFormat;
import io.laminar.model.exec.WarmUpBudget;
import picocli.CommandLine.Option;

import java.time.Duration;

/**
 * Options of the pipeline a process takes part in: its KV slots and memory, its scheduler, what
 * crosses the network between stages, and the warm-up. {@code serve}, {@code node} and
 * {@code demo} share them, with the defaults of {@link HostSettings} and {@link SchedulerSettings}.
 */
public final class PipelineOptions {
    /** Under Kubernetes' default startup probes, and enough for a 110M model's JIT to settle (docs/benchmarks.md, "Cold start"). */
    static final double DEFAULT_WARM_UP_SECONDS = 20;
    /** Past a few tokens a draft is rarely right to the end, and every drafted token widens the step. */
    static final int MAX_PROMPT_LOOKUP = 16;

    @Option(names = "--max-sequences", paramLabel = "N", defaultValue = "" + HostSettings.DEFAULT_MAX_SEQUENCES,
            description = "Sequences decoded together: KV slots per stage (default: ${DEFAULT-VALUE}).")
    int maxSequences;

    @Option(names = "--kv-budget-mb", paramLabel = "MIB", defaultValue = "" + (HostSettings.DEFAULT_KV_BUDGET_BYTES >> 20),
            description = "KV cache memory per stage in MiB; blocks the slots cannot use are not allocated (default: ${DEFAULT-VALUE}).")
    long kvBudgetMb;

    @Option(names = "--lanes", paramLabel = "N", defaultValue = "0",
            description = "Scheduler: micro-batches in flight; 0 = one per stage (default: ${DEFAULT-VALUE}).")
    int lanes;

    @Option(names = "--admission-timeout", paramLabel = "SECONDS",
            defaultValue = "" + SchedulerSettings.DEFAULT_ADMISSION_TIMEOUT_SECONDS,
            description = "Scheduler: how long a request that has not started waits for a pipeline that is not ready (default: ${DEFAULT-VALUE}).")
    long admissionTimeoutSeconds;

    @Option(names = "--prompt-lookup", paramLabel = "N", defaultValue = "0",
            description = "Scheduler: speculative decoding with drafts from the text itself: after each sequence's next token, check up to N tokens that followed the latest earlier occurrence of its last tokens, in one step; the output is the same, in fewer steps when text repeats. 0 turns it off (default: ${DEFAULT-VALUE}).")
    int promptLookup;

    @Option(names = "--wire-format", paramLabel = "FORMAT", defaultValue = "f32",
            description = "Activations between stages on different nodes: f32 (exact), f16 or bf16 (half the bytes) (default: ${DEFAULT-VALUE}).")
    String wireFormat;

    @Option(names = "--warm-up", paramLabel = "SECONDS", defaultValue = "" + DEFAULT_WARM_UP_SECONDS,
            description = "Most time per stage for dummy steps before it serves, so that the first requests run compiled kernels; they stop sooner once the JIT has settled; 0 skips them (default: ${DEFAULT-VALUE}).")
    double warmUpSeconds;

    /** {@code settings} with these options; checks them. */
    HostSettings applyTo(HostSettings settings) {
        if (maxSequences < 1) {
            throw new IllegalArgumentException("--max-sequences=" + maxSequences + " must be at least 1");
        }
        if (kvBudgetMb < 1) {
            throw new IllegalArgumentException("--kv-budget-mb=" + kvBudgetMb + " must be at least 1");
        }
        if (lanes < 0) {
            throw new IllegalArgumentException("--lanes=" + lanes + " must be 0 (one per stage) or more");
        }
        if (admissionTimeoutSeconds < 1) {
            throw new IllegalArgumentException("--admission-timeout=" + admissionTimeoutSeconds + " must be at least 1 s");
        }
        HostSettings.Capacity c = settings.capacity();
        return settings.with(new HostSettings.Capacity(c.threads(), c.maxBatch(), maxSequences, c.context(), kvBudgetMb << 20))
                .withScheduling(new HostSettings.Scheduling(lanes, Duration.ofSeconds(admissionTimeoutSeconds),
                        promptLookup(promptLookup)))
                .withWireFormat(ActivationFormat.parse(wireFormat))
                .withWarmUp(warmUp(warmUpSeconds));
    }

    /** {@code --warm-up} seconds as a budget: until the JIT settles, at most that long; checked. */
    static WarmUpBudget warmUp(double seconds) {
        if (!(seconds >= 0 && seconds <= 600)) {
            throw new IllegalArgumentException("--warm-up must be in [0, 600] seconds, got " + seconds);
        }
        return WarmUpBudget.upTo(Duration.ofMillis(Math.round(seconds * 1000)));
    }

    /** {@code --prompt-lookup}, checked. */
    static int promptLookup(int n) {
        if (n < 0 || n > MAX_PROMPT_LOOKUP) {
            throw new IllegalArgumentException("--prompt-lookup=" + n + " must be in [0, " + MAX_PROMPT_LOOKUP + "]");
        }
        return n;
    }
}
