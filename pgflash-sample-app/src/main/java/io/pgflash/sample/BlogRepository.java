package io.pgflash.sample;

import java.util.List;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The writes the page's buttons make: plain SQL through the application's own DataSource. */
@Repository
public class BlogRepository {

    private final JdbcClient jdbc;

    public BlogRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public List<Post> findAll() {
        return jdbc.sql("SELECT id, title, body, status, created_at FROM posts ORDER BY id").query(Post.class).list();
    }

    public long insertPost(String title, String body, String status) {
        return jdbc.sql("INSERT INTO posts (title, body, status) VALUES (?, ?, ?) RETURNING id")
                .params(title, body, status).query(Long.class).single();
    }

    /** Inserts {@code count} posts in one statement (one event each). */
    public int insertPosts(int count) {
        return jdbc.sql("INSERT INTO posts (title, status) SELECT 'Post ' || g || ' of a burst', 'draft'"
                + " FROM generate_series(1, ?) g").param(count).update();
    }

    public int publish(long id) {
        return jdbc.sql("UPDATE posts SET status = 'published' WHERE id = ?").param(id).update();
    }

    public int rename(long id, String title) {
        return jdbc.sql("UPDATE posts SET title = ? WHERE id = ?").params(title, id).update();
    }

    public int delete(long id) {
        return jdbc.sql("DELETE FROM posts WHERE id = ?").param(id).update();
    }

    public long addComment(long postId, String author, String body) {
        return jdbc.sql("INSERT INTO comments (post_id, author, body) VALUES (?, ?, ?) RETURNING id")
                .params(postId, author, body).query(Long.class).single();
    }

    public void truncate() {
        jdbc.sql("TRUNCATE comments, posts").update();
    }
}
