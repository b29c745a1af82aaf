SELECT dt, count(*) AS rows
FROM {database}.{table}
GROUP BY dt
ORDER BY dt
