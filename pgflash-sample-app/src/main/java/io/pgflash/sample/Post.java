package io.pgflash.sample;

import java.time.OffsetDateTime;

/** A row of {@code posts}; pgflash binds event rows to it by column name ({@code created_at} fills createdAt). */
public record Post(Long id, String title, String body, String status, OffsetDateTime createdAt) {
}
