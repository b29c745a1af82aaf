SELECT dt, channel, count(*) AS orders, sum(quantity * unit_price) AS revenue
FROM {database}.{table}
WHERE dt BETWEEN '2026-01-01' AND '2026-01-07'
GROUP BY dt, channel
ORDER BY dt, channel
