package io.laminar.schemas.codec;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import org.apache.avro.SystemLimitException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Avro's own decoding limits, which Laminar sets to values sized for its schemas so that a record
 * claiming a two-billion-item array or a gigabyte string is refused before anything is allocated
 * (the codecs report it as {@code UNDECODABLE}).
 *
 * <p>Avro reads these as JVM system properties, once, when {@link SystemLimitException} is
 * initialized: they hold for every Avro decoder in the JVM and cannot differ per consumer. So they
 * are settings of the process, not Kafka-style keys. {@link #install()} (run by every Laminar codec
 * before its first decode) sets each property that is not already set to the default below; a value
 * given on the command line ({@code -Dorg.apache.avro.limits.string.maxLength=...}) wins.
 *
 * <p>Avro may well be initialized before that: building any record with a default (the generated
 * {@code newBuilder().build()}) decodes the default and so loads {@link SystemLimitException} with
 * the properties as they were. {@code install()} therefore checks, by probing Avro's checks, that
 * the values are in force, and if not makes Avro re-read them through its package-private
 * {@code SystemLimitException.resetLimits()} (the hook Avro's own tests use; it only re-reads the
 * properties). Should that hook ever go away, install logs a warning naming each property, and the
 * cure is to pass them with {@code -D} on the java command line.
 */
public final class AvroLimits {

    /**
     * {@code org.apache.avro.limits.string.maxLength}: the longest string, in UTF-8 bytes, Avro
     * decodes.
     */
    public static final String STRING_MAX_LENGTH_PROPERTY = SystemLimitException.MAX_STRING_LENGTH_PROPERTY;
    /** 4 MiB: above the largest record the request decoder accepts by default (1 MiB). */
    public static final int DEFAULT_STRING_MAX_LENGTH = 4 * 1024 * 1024;

    /**
     * {@code org.apache.avro.limits.bytes.maxLength}: the longest {@code bytes} value Avro decodes
     * (our schemas have none; the limit guards against schemas that will).
     */
    public static final String BYTES_MAX_LENGTH_PROPERTY = SystemLimitException.MAX_BYTES_LENGTH_PROPERTY;
    public static final int DEFAULT_BYTES_MAX_LENGTH = 4 * 1024 * 1024;

    /**
     * {@code org.apache.avro.limits.collectionItems.maxLength}: the most items one array or map may
     * have (summed over its blocks).
     */
    public static final String COLLECTION_ITEMS_MAX_LENGTH_PROPERTY =
            SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY;
    /** 65,536: far above the request decoder's own caps (messages, stop strings, metadata entries). */
    public static final int DEFAULT_COLLECTION_ITEMS_MAX_LENGTH = 65_536;

    /**
     * {@code org.apache.avro.limits.collectionItems.maxAllocation}: the most array elements whose
     * encoded size can be zero (nulls, empty records) Avro allocates for one datum; Avro's own
     * default is a quarter of the heap.
     */
    public static final String COLLECTION_ITEMS_MAX_ALLOCATION_PROPERTY =
            SystemLimitException.MAX_COLLECTION_ALLOCATION_PROPERTY;
    public static final int DEFAULT_COLLECTION_ITEMS_MAX_ALLOCATION = 65_536;

    private static final Logger LOG = LoggerFactory.getLogger(AvroLimits.class);

    private static boolean installed;

    private AvroLimits() {
    }

    /**
     * Sets each limit property that is unset to its default, then checks that Avro enforces what
     * the properties say. Idempotent and cheap after the first call.
     *
     * @return the properties whose value Avro does not enforce (empty when all is well)
     */
    public static synchronized List<String> install() {
        if (!installed) {
            setIfAbsent(STRING_MAX_LENGTH_PROPERTY, DEFAULT_STRING_MAX_LENGTH);
            setIfAbsent(BYTES_MAX_LENGTH_PROPERTY, DEFAULT_BYTES_MAX_LENGTH);
            setIfAbsent(COLLECTION_ITEMS_MAX_LENGTH_PROPERTY, DEFAULT_COLLECTION_ITEMS_MAX_LENGTH);
            setIfAbsent(COLLECTION_ITEMS_MAX_ALLOCATION_PROPERTY, DEFAULT_COLLECTION_ITEMS_MAX_ALLOCATION);
            installed = true;
            List<String> wrong = notEnforced();
            if (!wrong.isEmpty() && rereadProperties()) {
                LOG.debug("Avro was initialized before Laminar set its limits; made it re-read {}", wrong);
                wrong = notEnforced();
            }
            for (String property : wrong) {
                LOG.warn("Avro limit {}={} is not in force (Avro was initialized before Laminar set it);"
                        + " pass it as -D{}={} on the java command line", property,
                        System.getProperty(property), property, System.getProperty(property));
            }
        }
        return notEnforced();
    }

    /** Makes Avro re-read its limit properties; false when its hook for that cannot be called. */
    private static boolean rereadProperties() {
        try {
            Method reset = SystemLimitException.class.getDeclaredMethod("resetLimits");
            reset.setAccessible(true);
            reset.invoke(null);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("cannot call SystemLimitException.resetLimits()", e);
            return false;
        }
    }

    /** The properties whose current value Avro does not enforce, found by probing its checks. */
    static List<String> notEnforced() {
        List<String> wrong = new ArrayList<>();
        probe(STRING_MAX_LENGTH_PROPERTY, SystemLimitException::checkMaxStringLength, wrong);
        probe(BYTES_MAX_LENGTH_PROPERTY, SystemLimitException::checkMaxBytesLength, wrong);
        probe(COLLECTION_ITEMS_MAX_LENGTH_PROPERTY, n -> SystemLimitException.checkMaxCollectionLength(0L, n), wrong);
        probe(COLLECTION_ITEMS_MAX_ALLOCATION_PROPERTY,
                n -> SystemLimitException.checkMaxCollectionAllocation(0L, n), wrong);
        return wrong;
    }

    /** The limit is in force when {@code limit} passes Avro's check and {@code limit + 1} fails it. */
    private static void probe(String property, LongConsumer check, List<String> wrong) {
        long limit;
        try {
            limit = Long.parseLong(System.getProperty(property, "").strip());
        } catch (NumberFormatException e) {
            wrong.add(property);
            return;
        }
        try {
            check.accept(limit);
        } catch (RuntimeException e) {
            wrong.add(property);
            return;
        }
        try {
            check.accept(limit + 1);
            wrong.add(property);
        } catch (SystemLimitException expected) {
            // in force
        } catch (RuntimeException e) {
            wrong.add(property);
        }
    }

    private static void setIfAbsent(String property, int value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, Integer.toString(value));
        }
    }
}
