package io.laminar.actors;

/**
 * Marker of every message that may cross nodes. They are bound to Laminar's own binary serializer
 * ({@code io.laminar.actors.serialization.PipelineSerializer}); Java serialization is off.
 */
public interface PipelineMessage {
}
