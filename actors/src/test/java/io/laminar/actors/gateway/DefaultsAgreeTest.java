package io.laminar.actors.gateway;

import io.laminar.model.sampling.SamplingParams;
import io.laminar.schemas.codec.RequestDefaults;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The wire contract (schemas, which depends on no other module) and the engine state the same
 * sampling defaults; a request that leaves a field out gets what `laminar generate` would use.
 */
class DefaultsAgreeTest {
    @Test
    void samplingDefaultsAreTheSameOnTheWireAndInTheEngine() {
        assertEquals(SamplingParams.DEFAULT_TEMPERATURE, RequestDefaults.DEFAULT_TEMPERATURE);
        assertEquals(SamplingParams.DEFAULT_TOP_K, RequestDefaults.DEFAULT_TOP_K);
        assertEquals(SamplingParams.DEFAULT_TOP_P, RequestDefaults.DEFAULT_TOP_P);
        assertEquals(SamplingParams.DEFAULT_MIN_P, RequestDefaults.DEFAULT_MIN_P);
        assertEquals(SamplingParams.DEFAULT_REPEAT_PENALTY, RequestDefaults.DEFAULT_REPEAT_PENALTY);
        assertEquals(SamplingParams.DEFAULT_REPEAT_LAST_N, RequestDefaults.DEFAULT_REPEAT_LAST_N);
    }
}
