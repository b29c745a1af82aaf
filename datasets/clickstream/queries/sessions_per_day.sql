SELECT dt,
       count(DISTINCT session_id) AS sessions,
       count(DISTINCT user_id) AS users,
       count_if(event_type = 'page_view') AS page_views
FROM {database}.{table}
WHERE dt BETWEEN '2026-01-01' AND '2026-01-07'
GROUP BY dt
ORDER BY dt
