"""Texts for the ad-read tests: a talk on one subject, ad reads for made-up products, and a lecture
about advertising itself (which must keep every sentence). Nothing here is in ytlocal's code."""

VOLCANO_TALK = [
    "Volcanoes form where magma from the mantle reaches the surface of the Earth.",
    "Most of them sit along the edges of tectonic plates, where one plate dives under another.",
    "The Pacific Ring of Fire holds about three quarters of the active volcanoes on land.",
    "Magma rich in silica is thick and traps gas, so those volcanoes tend to explode.",
    "Basaltic magma is runny, which is why Hawaiian eruptions pour out rivers of lava instead.",
    "Mount St. Helens erupted in 1980 after a bulge grew on its north flank for two months.",
    "The landslide that followed was the largest ever recorded, and it uncorked the magma below.",
    "Pyroclastic flows are avalanches of hot gas and ash that can move faster than a car on a highway.",
    "They killed most of the victims at Pompeii, long before the ash finished falling.",
    "Volcanologists watch for swarms of small earthquakes as magma pushes its way upward.",
    "They also measure sulfur dioxide, because gas escapes before the magma itself arrives.",
    "Satellites now track ground swelling to within a few millimetres from orbit.",
    "Iceland sits on a mid-ocean ridge, so new crust is made there as the plates pull apart.",
    "The 2010 eruption of Eyjafjallajokull closed European airspace for almost a week.",
    "Ash is made of tiny shards of glass, which melt inside jet engines and stop them.",
    "Large eruptions can cool the whole planet by putting sulfate particles in the stratosphere.",
    "After Pinatubo erupted in 1991, global temperatures dropped by about half a degree for two years.",
    "Tambora in 1815 caused the year without a summer, with snow in New England in June.",
    "Volcanic soils are very fertile, which is one reason people farm on the slopes of active volcanoes.",
    "Geothermal power plants use the same heat to make electricity in Iceland and New Zealand.",
    "Supervolcanoes like Yellowstone erupt rarely, but their eruptions bury whole regions in ash.",
    "Yellowstone's last large eruption happened about six hundred forty thousand years ago.",
    "Its magma chamber is mostly crystal mush, with only a small share of melted rock.",
    "Underwater volcanoes build most of the ocean floor, far from anyone's sight.",
    "Some of them grow tall enough to become islands, as Surtsey did off Iceland in 1963.",
    "Lava flows rarely kill people, because they move slowly enough to walk away from.",
    "Mudflows called lahars are more dangerous, since they rush down river valleys for many kilometres.",
    "A lahar from Nevado del Ruiz buried the town of Armero in 1985.",
    "Hazard maps now mark the valleys where lahars have run before, so towns can plan evacuation routes.",
    "Forecasting the exact day of an eruption is still beyond reach for most volcanoes.",
]

PRE_ROLL = [
    "This episode is brought to you by Loomly.",
    "Loomly is the calendar app that keeps your whole team on the same schedule.",
    "It syncs with every device you own and it never loses a meeting again.",
    "Thousands of small businesses already plan their week with Loomly.",
    "Right now you can try it free for thirty days.",
    "Go to loomly dot com slash magma and use code LAVA for twenty percent off your first year.",
]

MID_ROLL = [
    "We'll be right back after a word from our sponsor.",
    "Sleep matters more than you think, and most of us are sleeping on the wrong mattress.",
    "Restwell mattresses adapt to the way you lie, so you wake up without a sore back.",
    "Every Restwell ships to your door in a box, and setting it up takes five minutes.",
    "You get a hundred nights to try it, and if you don't love it they pick it up for free.",
    "Visit restwell dot com slash talk to get two free pillows with your order.",
]

END_ROLL = [
    "Thanks for listening to this episode.",
    "If you enjoyed it, please subscribe, rate and review the show, and leave us five stars.",
    "You can support the podcast on Patreon, and the links are in the show notes.",
]

MARKETING_LECTURE = [
    "Advertising on the radio began in the 1920s, when stores paid stations to mention their goods.",
    "Soap companies sponsored whole serial dramas, which is where the name soap opera comes from.",
    "Television took over that model in the 1950s, with a single sponsor for each programme.",
    "Podcast advertising grew quickly after 2014, when a crime series drew millions of listeners.",
    "Most podcast ads are read by the host, because listeners trust a voice they know.",
    "Advertisers measure the response with discount codes that are unique to each show.",
    "A listener who types the code at checkout tells the company which programme sent them.",
    "Vanity web addresses work the same way, with the name of the show after a slash.",
    "Studies of host-read ads found that they are remembered better than produced spots.",
    "Critics argue that the blend of ads and conversation makes the line between them hard to see.",
    "Regulators in several countries now require that paid mentions be disclosed as sponsorship.",
    "Direct-to-consumer brands such as mattress and meal kit companies were the earliest big buyers.",
    "Their business depends on a cheap way to reach many customers at once.",
    "Free trials lower the risk for a new customer, which is why so many ads mention them.",
    "Economists call the money spent to win one customer the customer acquisition cost.",
    "When that cost rises above what a customer spends over time, the model stops working.",
    "Programmatic advertising now inserts ads into episodes automatically, based on the listener's location.",
    "That makes ads cheaper to sell, but it also makes them feel less personal.",
    "Some shows avoid ads altogether and ask listeners for donations instead.",
    "The history of advertising shows that every new medium finds a way to pay for itself.",
]
