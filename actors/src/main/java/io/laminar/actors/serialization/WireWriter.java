package io.laminar.actors.serialization;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Little-endian primitives, length-prefixed strings and arrays, actor references as their paths. */
final class WireWriter {
    private final ActorRefResolver resolver;
    private ByteBuffer buffer;

    WireWriter(ActorRefResolver resolver, int capacity) {
        this.resolver = resolver;
        buffer = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
    }

    ByteBuffer reserve(int bytes) {
        if (buffer.remaining() < bytes) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + bytes + 64))
                    .order(ByteOrder.LITTLE_ENDIAN);
            buffer.flip();
            bigger.put(buffer);
            buffer = bigger;
        }
        return buffer;
    }

    void u8(int v) {
        reserve(1).put((byte) v);
    }

    void i32(int v) {
        reserve(4).putInt(v);
    }

    void i64(long v) {
        reserve(8).putLong(v);
    }

    void f32(float v) {
        reserve(4).putFloat(v);
    }

    void raw(byte[] b) {
        reserve(b.length).put(b);
    }

    void intsRaw(int[] a) {
        ByteBuffer b = reserve(a.length * 4);
        b.asIntBuffer().put(a);
        b.position(b.position() + a.length * 4);
    }

    void ints(int[] a) {
        i32(a.length);
        intsRaw(a);
    }

    void string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        i32(b.length);
        raw(b);
    }

    void ref(ActorRef<?> ref) {
        string(resolver.toSerializationFormat(ref));
    }

    /** A reference that may be absent: written as an empty string. */
    void optionalRef(ActorRef<?> ref) {
        string(ref == null ? "" : resolver.toSerializationFormat(ref));
    }

    void floatsRaw(float[] a) {
        ByteBuffer b = reserve(a.length * 4);
        b.asFloatBuffer().put(a);
        b.position(b.position() + a.length * 4);
    }

    void refs(List<? extends ActorRef<?>> refs) {
        i32(refs.size());
        for (ActorRef<?> r : refs) {
            ref(r);
        }
    }

    byte[] bytes() {
        byte[] out = new byte[buffer.position()];
        buffer.flip();
        buffer.get(out);
        return out;
    }
}
