package io.laminar.actors.inspect;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;

/**
 * The recent inspected requests of this process, by request id, for the HTTP endpoint and the
 * dashboard: the process that submits a request keeps what its stages report, wherever they run.
 * Bounded in count ({@code laminar.inspect.max-requests}, {@link #DEFAULT_MAX_REQUESTS}) and in
 * weights held ({@code laminar.inspect.max-values}, {@link #DEFAULT_MAX_VALUES}):
 * the oldest are dropped first, and one request alone may hold at most the whole budget (its
 * {@link Inspection} stops taking reports there). One per actor system ({@link #get}).
 */
public final class AttentionStore implements Extension {
    /** {@code laminar.inspect.max-requests}: how many inspected requests are kept. */
    public static final String MAX_REQUESTS_CONFIG = "laminar.inspect.max-requests";
    public static final int DEFAULT_MAX_REQUESTS = 16;
    /** {@code laminar.inspect.max-values}: how many weights are kept over all of them. */
    public static final String MAX_VALUES_CONFIG = "laminar.inspect.max-values";
    /** Weights kept over all of them: 32 Mi floats, 128 MiB. */
    public static final long DEFAULT_MAX_VALUES = 32L << 20;

    private static final Id ID = new Id();

    private final int maxRequests;
    private final long maxValues;
    private final LinkedHashMap<String, Inspection> byId = new LinkedHashMap<>();

    public AttentionStore(int maxRequests, long maxValues) {
        if (maxRequests < 1 || maxValues < 1) {
            throw new IllegalArgumentException("maxRequests=" + maxRequests + " and maxValues=" + maxValues
                    + " must be >= 1");
        }
        this.maxRequests = maxRequests;
        this.maxValues = maxValues;
    }

    /** The store of {@code system}'s process, made on first use with the bounds its settings give. */
    public static AttentionStore get(ActorSystem<?> system) {
        return ID.apply(system);
    }

    /**
     * Starts keeping request {@code requestId} (replacing an earlier one of the same id) and a
     * collector for its reports, which the stages are to be told of.
     */
    public Started start(ActorSystem<?> system, String requestId, int promptTokens) {
        Inspection inspection = new Inspection(requestId, promptTokens, maxValues);
        synchronized (this) {
            byId.remove(requestId);
            byId.put(requestId, inspection);
            evict();
        }
        return new Started(inspection, AttentionCollector.spawn(system, inspection));
    }

    /** An inspection being kept, and where its stages send their reports. */
    public record Started(Inspection inspection, ActorRef<AttentionReport> collector) {
    }

    public synchronized Optional<Inspection> find(String requestId) {
        evict(); // reports keep arriving after start, so the budget is checked on every look too
        return Optional.ofNullable(byId.get(requestId));
    }

    /** The kept requests, oldest first. */
    public synchronized List<Inspection> recent() {
        evict();
        return new ArrayList<>(byId.values());
    }

    /** Drops the oldest until the count and the weights held are within bounds (the newest always stays). */
    private void evict() {
        long held = 0;
        for (Inspection i : byId.values()) {
            held += i.values();
        }
        Iterator<Inspection> oldest = byId.values().iterator();
        while (byId.size() > 1 && (byId.size() > maxRequests || held > maxValues)) {
            held -= oldest.next().values();
            oldest.remove();
        }
    }

    private static final class Id extends ExtensionId<AttentionStore> {
        @Override
        public AttentionStore createExtension(ActorSystem<?> system) {
            com.typesafe.config.Config c = system.settings().config();
            return new AttentionStore(
                    c.hasPath(MAX_REQUESTS_CONFIG) ? c.getInt(MAX_REQUESTS_CONFIG) : DEFAULT_MAX_REQUESTS,
                    c.hasPath(MAX_VALUES_CONFIG) ? c.getLong(MAX_VALUES_CONFIG) : DEFAULT_MAX_VALUES);
        }
    }
}
