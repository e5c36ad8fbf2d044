package io.pgflash.spring.it;

/** A row of {@code posts}; {@code authorId} is filled from column {@code author_id}. */
public record Post(Long id, String title, String status, Long authorId) {
}
