SELECT page, count(*) AS page_views, count(DISTINCT session_id) AS sessions
FROM {database}.{table}
WHERE event_type = 'page_view'
GROUP BY page
ORDER BY page_views DESC, page
LIMIT 10
