"""Made-up people for measuring person matching (issue 5): realistic, reproducible, with the truth kept aside.

`generate_population(count, seed)` makes `count` person *records*: households of 1–6 people who
share an address and (mostly) a surname — some with a parent of another surname, some children
double-barrelled —, twins and siblings, adults and children with UK name frequencies and the mix of
heritages of a London borough, and duplicate records of some people carrying the errors issue 5
lists (typos, nicknames, hyphenated and changed surnames, swapped names, initials, dates with day
and month swapped / a digit wrong / a day out / the year out / missing, postcode typos, sector-only
postcodes, moves, missing fields). Same seed → same records, in the same order.

`generate_queries(records, count, seed)` makes search queries with errors for measuring, from a
*different* seed: nothing that measures may be tuned on.

`write_people(records)` stores them through a fast path (bulk inserts in batched transactions) and
`write_truth(path, records, ids)` writes which rows are the same real person, and which are twins
and household members, to a CSV file — never into the tables a search reads.

The name tables below are modest frequency lists (most common first; a Zipf curve gives the
weights) typed for this generator from ONS name statistics and census heritage shares for inner
London; they are deliberately separate from the matcher's own variant table, and the generator's
nickname list includes short forms the matcher does not know, as real data would.
"""

import csv
import datetime as dt
import itertools
import random
import string
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from openmash.people.identifiers import nhs_number_check_digit, upn_check_letter
from openmash.people.matching.compare import PersonRecord

REFERENCE_DATE = dt.date(2026, 1, 1)  # "today" for ages: fixed, so a seed always gives the same people


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# ------------------------------------------------------------------ names, by heritage
# Each heritage: share of households (inner London, 2021 census, rounded), CIN ethnicity code, and
# name lists most common first. Names with two parts use "_" for a space.

HERITAGES: dict[str, dict] = {
    "british": dict(
        share=0.36, ethnicity="WBRI",
        boys=_words("""Oliver George Noah Arthur Harry Leo Jack Charlie Oscar Jacob Henry Thomas Freddie Alfie Theo William
            Theodore Archie Joshua Alexander James Isaac Edward Lucas Tommy Finley Max Logan Ethan Teddy Benjamin Arlo Joseph
            Sebastian Harrison Elijah Adam Daniel Samuel Louie Mason Reuben Albie Rory Jaxon Hugo Luca Zachary Reggie Hunter
            Louis Dylan Albert David Jude Frankie Roman Ezra Toby Riley Ronnie Frederick Stanley Jenson Michael Bobby Jayden
            Kai Tyler Callum Connor Liam Ryan Kyle Lewis Jamie Owen Luke Aaron Nathan Jake Bradley Kian Alfred Ralph Felix
            Otis Dexter Jesse Caleb Harvey Elliot Cody Ashton Brandon Kayden Aiden Lincoln Ollie Vinnie Sonny Ted"""),
        girls=_words("""Olivia Amelia Isla Ava Ivy Freya Lily Florence Mia Willow Rosie Sophia Isabella Grace Daisy Sienna Poppy
            Elsie Emily Ella Evelyn Phoebe Sofia Evie Charlotte Harper Millie Matilda Maya Sophie Alice Emilia Isabelle Ruby
            Luna Maisie Aria Penelope Mila Bonnie Eva Hallie Eliza Ada Violet Esme Arabella Imogen Jessica Delilah Chloe Lola
            Ellie Holly Megan Lacey Jasmine Scarlett Hannah Lucy Darcy Amber Layla Summer Elizabeth Katie Georgia Abigail Leah
            Eleanor Molly Zara Kayla Tia Jade Paige Caitlin Lexi Ellie-Mae Lily-Rose Nevaeh Harriet Beatrice Edith Frankie
            Orla Thea Margot Iris Robyn Nancy Gracie"""),
        men=_words("""David Paul Mark Andrew John Michael Richard Peter Stephen James Robert Christopher Daniel Matthew Anthony
            Darren Lee Gary Ian Simon Craig Jason Wayne Dean Martin Neil Kevin Stuart Thomas Steven Carl Scott Adam Jonathan
            Shaun Nicholas Philip Graham Alan Keith Colin Tony Barry Brian William Ryan Ben Luke Sam Jamie Nathan Liam Jack
            Joe Tom Kieran Ricky Terry Raymond Kenneth Roy Derek Trevor Geoffrey Malcolm Gordon Dennis Ronald Edward George
            Charles Frank Patrick Stanley Harold Leslie Bernard Clive Russell Glen Lloyd Duncan Gavin Robin Roger Vincent"""),
        women=_words("""Sarah Claire Emma Nicola Lisa Michelle Rebecca Laura Kelly Joanne Amanda Helen Louise Rachel Karen Samantha
            Gemma Victoria Donna Jennifer Julie Tracey Susan Elizabeth Catherine Natalie Hayley Kerry Stacey Jessica Charlotte
            Hannah Danielle Katie Lauren Amy Sophie Jade Zoe Leanne Kirsty Stephanie Lucy Jodie Kimberley Emily Chloe Megan
            Margaret Jacqueline Dawn Angela Deborah Sharon Wendy Paula Carol Caroline Katherine Alison Mary Patricia Linda
            Sandra Janet Christine Barbara Jean Pauline Maureen Elaine Anne Lesley Diane Gillian Debbie Tina Jane Sally Joanna
            Kathryn Ruth Heidi Melissa Vicky Toni Abigail Fiona Jennie"""),
        surnames=_words("""Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson Wright
            Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin Cooper Hill Ward Morris
            Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths
            Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan Marshall Anderson
            Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb Rogers Gray Mason Ali Hunt Hussain Campbell
            Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon
            Harvey Graham Pearson Ahmed Fletcher Walsh Kaur Gibson Howard Andrews Stewart Elliott Reynolds Saunders Payne Fox
            Ford Pearce Day Brooks West Lawrence Cole Atkinson Bradley Spencer Gill Dawson Ball Burton O'Brien Watts Rose Booth
            Perry Ryan Grant Wells Armstrong Francis Rees Hayes Hart Hudson Newman Barrett Webster Hunter Gregory Carr Lowe Page
            Marsh Riley Dunn Woods Parsons Berry Stone Reid Holland Hawkins Harding Porter Robertson Newton Oliver Reed Kennedy
            Williamson Bird Gardner Shah Dean Lane Cooke Bates Henderson Parry Burgess Bishop Walton Burns Nicholson Shepherd
            Ross Cross Long Freeman Warren Nicholls Hamilton Byrne Sutton McDonald Yates Hodgson Robson Curtis Hopkins O'Connor
            Harper Coleman Watkins Moss McCarthy Chambers O'Neill Griffin Sharp Hardy Wheeler Potter Osborne Johnston Gordon
            Doyle Wallace George Jordan Hutchinson Rowe Burke May Pritchard Gilbert Willis Higgins Read Miles Stevenson
            Stephenson Hammond Arnold Buckley Walters Hewitt Barber Nelson Slater Austin Sullivan Whitehead Mann Frost Lambert
            Stephens Blake Akhtar Lynch Goodwin Barton Woodward Thomson Cunningham Quinn Barnett Baxter Bibi Clayton Nash Greenwood
            Jennings Holt Kemp Poole Gallagher Bond Stokes Tucker Davidson Fowler Heath Norman Middleton Lawson Banks French
            Stanley Jarvis Gibbs Ferguson Hayward Carroll Douglas Dickinson Todd Barlow Peters Lucas Knowles Hartley Miah
            Simmons Morrison Smyth Smythe Thomason MacDonald McKenzie MacKenzie Fitzgerald St_John De_Souza"""),
    ),
    "caribbean": dict(
        share=0.07, ethnicity="BCRB",
        boys=_words("""Malachi Isaiah Elijah Josiah Micah Nathaniel Tyrese Jaden Kyrie Reuben Joshua Daniel Samuel Marcus Andre
            Jayden Kai Zion Amari Leon Tyler Ethan Caleb Jeremiah Kairo Riley Theo Noah Jordan Jamal Kemar Shaquille Kareem"""),
        girls=_words("""Amani Nia Imani Kiara Aaliyah Tia Maya Naomi Jasmine Zuri Skye Ruby Destiny Serenity Eden Amara Ava Leah
            Jada Shanice Tanisha Keisha Simone Chantelle Jade Precious Kayla Nyla Ayla Tiana"""),
        men=_words("""Marcus Tyrone Jermaine Leroy Winston Delroy Clive Desmond Errol Lloyd Marlon Dwayne Andre Leon Wayne Carl
            Trevor Anthony Michael Paul David Mark Junior Kevin Dean Courtney Everton Neville Glenroy Devon"""),
        women=_words("""Shanice Tanisha Keisha Latoya Simone Janelle Chantelle Jade Marcia Beverley Sonia Paulette Yvonne Joy
            Claudette Donna Michelle Natalie Sharon Hyacinth Pauline Maxine Denise Andrea Jacqueline Kerry-Ann Shauna"""),
        surnames=_words("""Campbell Brown Williams Thomas Clarke Francis Grant Reid Johnson Smith Robinson Henry Lewis Morgan
            Edwards James Walker Richards Gordon Bailey Thompson Wright Allen Anderson Stewart Harris Samuels Spence Barrett
            Powell Graham Gayle Forbes McKenzie Morrison Bennett Douglas Green Hylton Blake Palmer Ferguson Dixon Ellis Baptiste
            Joseph Charles Alexander Phillip St_Louis"""),
    ),
    "west_african": dict(
        share=0.12, ethnicity="BAFR",
        boys=_words("""Emmanuel David Daniel Samuel Joshua Michael Joseph Oluwaseun Oluwatobi Tobi Chukwuemeka Chidi Chinedu Obinna
            Ikenna Femi Tunde Segun Kunle Ayo Adebayo Olumide Kwame Kofi Kwabena Kwaku Yaw Kojo Nana Favour Precious Divine
            Elijah Isaac Caleb Jeremiah Ethan Jayden Nathaniel Gabriel Israel Victor Success Godwin Ebuka Kelechi Uche Damilare
            Ayomide Mofe Temi Jesse Micah Jason"""),
        girls=_words("""Blessing Precious Favour Grace Esther Deborah Ruth Mercy Joy Peace Abigail Chioma Ngozi Nkechi Adaeze
            Amara Chiamaka Ifeoma Funmi Kemi Toyin Tosin Temitope Bisi Yemi Abena Ama Akua Adjoa Efua Esi Yaa Adwoa Comfort
            Patience Victoria Zainab Hannah Testimony Goodness Praise Divine Ayomide Oluwadamilola Eniola Anuoluwapo Ebun
            Folake Adaobi Chidinma Ugochi Nneka Zoe Nathalie Gift"""),
        surnames=_words("""Adeyemi Okafor Okonkwo Adebayo Oluwole Mensah Owusu Boateng Asante Osei Appiah Ogunleye Balogun Adeleke
            Afolabi Okoro Eze Nwosu Obi Ibe Ogundipe Adeoye Oyelaran Akinola Bakare Danso Amoah Agyeman Kamara Sesay Conteh
            Bangura Adewale Oladipo Ogunbiyi Olaniyan Akande Ojo Okeke Nwachukwu Chukwu Onyeka Uzoma Ndukwe Addo Ansah
            Darko Frimpong Gyamfi Kuffour Ofori Opoku Sarpong Tetteh Yeboah Achebe Adeniyi Adekunle Ayodele Babatunde Ogunyemi
            Olatunji Oyeleke Ajayi Fashola Okonjo Igwe Anyanwu Emenike Obiora Johnson Williams Cole Taylor Macauley"""),
    ),
    "somali": dict(
        share=0.03, ethnicity="BAFR",
        boys=_words("""Mohamed Abdi Ahmed Abdirahman Abdullahi Hassan Hussein Ali Omar Yusuf Ibrahim Ismail Mustafa Abdikadir Farah
            Bashir Khalid Idris Zakaria Yasin Ayaan Hamza Adam Mahad Liban Abdiaziz Suleiman Musa Yahya"""),
        girls=_words("""Fadumo Hodan Amina Ifrah Hibo Sagal Sahra Asha Ayan Deeqa Muna Nimco Ubah Warsan Khadija Maryam Hawa
            Fatima Aisha Safiya Hafsa Ilhan Hamdi Iman Zamzam Hanan Sumaya Naima Halima"""),
        surnames=_words("""Mohamed Ahmed Ali Hassan Abdi Farah Hussein Omar Yusuf Warsame Osman Jama Ismail Nur Aden Abdullahi
            Egal Duale Said Hersi Mohamud Elmi Gedi Guled Dahir Abdillahi Awale Salad Haji Ibrahim"""),
    ),
    "south_asian_muslim": dict(
        share=0.12, ethnicity="ABAN",
        boys=_words("""Muhammad Mohammed Ali Ahmed Hassan Hussain Ibrahim Yusuf Hamza Zain Ayaan Rayyan Adam Ismail Umar Usman
            Bilal Imran Tariq Faisal Abdul Shahid Rashid Asif Arif Kamran Nadeem Zubair Haris Danyal Rehan Ayan Arham Musa Isa
            Yahya Zakariya Ehsan Sajid Waqas Saqib Junaid Shakil Rafiq Mizanur Anwar Jamal Mohammad Muhammed Aryan Zayan Ibraheem
            Eesa Abdullah Raheem Shahin Ruhul"""),
        girls=_words("""Aisha Fatima Maryam Zainab Khadija Amina Hafsa Safiya Noor Zara Hira Iqra Sana Amna Mahnoor Anaya Inaya
            Hiba Alina Ayesha Mariam Sumaya Ruqayyah Yasmin Nadia Samina Shabana Nasreen Parveen Rukhsana Shamima Rabia Saima
            Tahmina Rokeya Halima Sultana Jannat Aleena Eshal Haniya Aliza Fariha Sadia Tasnim Nusrat Salma Raheela Shazia"""),
        surnames=_words("""Khan Ahmed Ali Hussain Begum Rahman Islam Miah Uddin Akhtar Iqbal Mahmood Shah Malik Bibi Chowdhury
            Hossain Ahmad Siddique Butt Qureshi Raja Aslam Rashid Haque Alam Karim Mirza Sheikh Anwar Javed Hussein Akram Bashir
            Mohammed Sarwar Riaz Yousaf Nawaz Ullah Hassan Latif Majid Rehman Parvez Ashraf Aziz Rafiq Sultan Kabir Hoque"""),
    ),
    "indian": dict(
        share=0.05, ethnicity="AIND",
        boys=_words("""Arjun Aarav Dev Krish Rohan Aryan Ravi Raj Vikram Sanjay Anil Ashok Deepak Amit Rahul Vijay Harpreet
            Gurpreet Jaspreet Manpreet Sukhdeep Jaswinder Ranjit Kiran Nikhil Vihaan Ishaan Shiv Sai Aditya Kabir Veer Rishi
            Yash Neel Arun Suresh Rajesh Dinesh Mahesh Prakash Hardeep Jagdeep"""),
        girls=_words("""Priya Anjali Pooja Neha Sunita Anita Kavita Meena Lakshmi Nisha Riya Diya Isha Aanya Saanvi Simran
            Harleen Navneet Gurleen Jasleen Amrit Kiran Shreya Kavya Anika Myra Aadhya Avni Jaspreet Manjit Rani Geeta Sita
            Asha Rekha Usha Hema Divya Ananya Tara"""),
        surnames=_words("""Patel Singh Kaur Shah Sharma Kumar Gill Sandhu Mistry Desai Mehta Joshi Thakkar Chauhan Sidhu Dhillon
            Parmar Rana Verma Gupta Modi Naidu Pillai Nair Bhatt Trivedi Pandya Solanki Rathod Grewal Bains Johal Virdi Kang
            Sahota Mann Rai Chopra Kapoor Malhotra Iyer Reddy Rao"""),
    ),
    "eastern_european": dict(
        share=0.08, ethnicity="WOTH",
        boys=_words("""Jakub Kacper Szymon Filip Antoni Jan Mikołaj Aleksander Wiktor Piotr Tomasz Michał Krzysztof Paweł Marcin
            Łukasz Mateusz Adam Dawid Andrei Alexandru Ionuț Mihai Ștefan Gabriel Răzvan Florin Cristian Vlad Bogdan Darius Lukas
            Matas Dominik Oliver Nikola Ivan Dmitri Wojciech Grzegorz Maciej Oskar Igor Nikolai"""),
        girls=_words("""Zuzanna Julia Maja Zofia Hanna Lena Alicja Oliwia Natalia Wiktoria Amelia Katarzyna Agnieszka Anna
            Magdalena Joanna Ewa Monika Małgorzata Aleksandra Ana Maria Ioana Elena Andreea Alexandra Daria Bianca Irina Diana
            Gabriela Emilia Ieva Rūta Karolina Paulina Weronika Marta Dorota Justyna Kinga"""),
        surnames=_words("""Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak Dąbrowski
            Kozłowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski Pawłowski Michalski Popescu Ionescu Popa Stan
            Dumitru Stoica Gheorghe Rusu Munteanu Constantin Petrov Ivanov Kazlauskas Jankauskas Petrauskas Bērziņš Horváth
            Nagy Novák Kovač Marković Jovanović Petrović Shevchenko Bondarenko Kovalenko Tkachenko"""),
    ),
    "irish": dict(
        share=0.03, ethnicity="WIRI",
        boys=_words("""Sean Patrick Conor Ciaran Niall Declan Eoin Cillian Oisin Darragh Cian Padraig Seamus Liam Aidan Ronan
            Fionn Jack James Michael Daniel Thomas Kevin Brendan Dermot Colm Tadhg"""),
        girls=_words("""Siobhan Niamh Aoife Ciara Roisin Orla Saoirse Caoimhe Sinead Grainne Aisling Clodagh Mairead Erin Shannon
            Bridget Maeve Emma Sarah Mary Kathleen Ellen Nora Fiadh Aine"""),
        surnames=_words("""Murphy Kelly O'Brien O'Sullivan Walsh Byrne Ryan O'Connor McCarthy Doyle Gallagher Kennedy Lynch
            Quinn Maguire Fitzgerald McDonald O'Neill Brennan Burke Collins Daly Dunne Farrell Flynn Keane Kavanagh McLaughlin
            Nolan O'Donnell O'Reilly Power Regan Sheehan Sweeney Tierney Whelan Mac_Mahon McGrath Mc_Cann"""),
    ),
    "turkish": dict(
        share=0.03, ethnicity="WOTH",
        boys=_words("""Mehmet Mustafa Emre Burak Can Deniz Yusuf Ali Ahmet Hasan Hüseyin İbrahim Murat Ömer Kerem Eren Arda Efe
            Baran Yiğit Serkan Kemal Osman Halil"""),
        girls=_words("""Elif Zeynep Ayşe Fatma Emine Hatice Esra Merve Defne Ecem Ela Asya Nisa Azra Sıla Derya Gül Hülya Leyla
            Selin Melis Özlem"""),
        surnames=_words("""Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Özdemir Arslan Doğan Kılıç Aslan Çetin
            Kara Koç Kurt Özkan Şimşek Polat Korkmaz Erdoğan Güneş"""),
    ),
    "latin": dict(
        share=0.04, ethnicity="OOTH",
        boys=_words("""João Pedro Tiago Rui Miguel Diogo Gonçalo Rodrigo Lucas Mateo Santiago Diego Carlos Luis José Juan Gabriel
            Rafael Francisco António Manuel Bruno Thiago Enzo Davi"""),
        girls=_words("""Inês Beatriz Mariana Carolina Rita Catarina Maria Ana Sofia Valentina Camila Isabella Gabriela Lucía Laura
            Daniela Luana Leonor Alice Larissa Fernanda Júlia"""),
        surnames=_words("""Silva Santos Ferreira Pereira Oliveira Costa Rodrigues Martins Jesus Sousa Fernandes Gonçalves Gomes
            Lopes Marques García Rodríguez González López Martínez Hernández Pérez Sánchez Ramírez Torres Da_Silva Dos_Santos
            De_Oliveira Carvalho Almeida Ribeiro Alves Araújo"""),
    ),
    "east_asian": dict(
        share=0.04, ethnicity="CHNE",
        boys=_words("""Wei Jun Hao Yi Jian Ming Kai Ethan Jason Kevin Daniel Ryan Oscar Lucas Minh Duc Tuan Anh Long Nam Hiroshi
            Kenji Jayden Aaron"""),
        girls=_words("""Mei Xin Yan Li Hui Ling Jing Chloe Emily Grace Amy Jessica Linh Lan Trang Ngoc Mai Thu Hoa Yuki Sakura
            Hana Joy Vivian"""),
        surnames=_words("""Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Chan Wong Lee Lam Cheung Ng Nguyen Tran Le Pham Hoang
            Vu Tang Lin Ho Tan Lim Yip Leung Tsang Sato Tanaka"""),
    ),
}
for _h in HERITAGES.values():  # groups without generations use the children's names for adults too
    _h.setdefault("men", _h["boys"])
    _h.setdefault("women", _h["girls"])

# Streets: stems × kinds, as on a London A–Z.
_STREET_STEMS = _words("""Rye Peckham Queens Albert Victoria Church Station Park Mill Grove Oak Elm Bellenden Choumert Lordship
    Denmark Camberwell Walworth Old_Kent Trafalgar Nelson Wellington Clarence Alexandra Princes Kings Manor Chapel Green
    High Market North South East West London Brixton Coldharbour Acre Bedford Cavendish Devonshire Grosvenor Portland
    Wyndham Heston Ash Beech Birch Cedar Hazel Holly Laurel Maple Rowan Willow Linden Poplar Chestnut Sycamore Hawthorn
    Blenheim Marlborough Salisbury Stanley Warwick Windsor Kingston Richmond Hampton Sydenham Forest Honor_Oak Dulwich
    Nunhead Evelina Barset Gibbon Consort Asylum Meeting_House Commercial Cator Lyndhurst Talfourd Azenby Crofton Harders
    Hollydale Ivydale Kirkwood Montpelier Nigel Oglander Pellatt Ryedale Scylla Tappesfield Underhill Vestry Waveney""")
_STREET_KINDS = _words("Road Street Lane Avenue Close Gardens Grove Place Crescent Terrace Way Court Square Rise Hill Walk Mews")
_DISTRICTS = tuple(
    [f"SE{i}" for i in range(1, 29)] + [f"E{i}" for i in range(1, 19)] + [f"N{i}" for i in range(1, 23)]
    + [f"SW{i}" for i in range(1, 21)] + [f"NW{i}" for i in range(1, 12)] + [f"W{i}" for i in range(2, 15)]
    + [f"CR{i}" for i in range(0, 9)] + [f"BR{i}" for i in range(1, 8)] + [f"IG{i}" for i in range(1, 12)] + ["E20"]
)
_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # inward-code letters (no C I K M O V)

# The generator's own short forms (a real clerk's usage, not the matcher's table: some are missing
# from it on purpose, e.g. Jez, Tash, Kit, Mo, Fin).
NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Bill", "Will", "Billy", "Liam"), "Elizabeth": ("Beth", "Liz", "Lizzie", "Eliza", "Betty"),
    "Margaret": ("Maggie", "Peggy", "Meg"), "Robert": ("Bob", "Rob", "Bobby"), "Jayden": ("Jaden", "Jaiden", "Jaydon"),
    "Alexander": ("Alex", "Xander"), "Alexandra": ("Alex", "Lexi"), "Thomas": ("Tom", "Tommy"), "James": ("Jim", "Jamie"),
    "Joseph": ("Joe", "Joey"), "Daniel": ("Dan", "Danny"), "Samuel": ("Sam", "Sammy"), "Samantha": ("Sam",),
    "Benjamin": ("Ben", "Benji"), "Christopher": ("Chris", "Kit"), "Matthew": ("Matt",), "Michael": ("Mike", "Mikey"),
    "Nicholas": ("Nick",), "Jonathan": ("Jon", "Jonny"), "Edward": ("Ed", "Eddie", "Ted"), "Frederick": ("Freddie", "Fred"),
    "Henry": ("Harry",), "Oliver": ("Ollie",), "Charles": ("Charlie",), "Charlotte": ("Lottie", "Charlie"),
    "Katherine": ("Kate", "Katie"), "Catherine": ("Cathy", "Kate"), "Rebecca": ("Becky", "Becca"), "Jessica": ("Jess",),
    "Jennifer": ("Jen", "Jenny"), "Victoria": ("Vicky", "Tori"), "Natasha": ("Tash",), "Jeremy": ("Jez",),
    "Muhammad": ("Mohammed", "Mohamed", "Mo"), "Mohammed": ("Muhammad", "Mohamed"), "Mohamed": ("Mohammed", "Maxamed"),
    "Aisha": ("Ayesha",), "Fatima": ("Fatimah",), "Finley": ("Fin", "Finlay"), "Isabella": ("Bella", "Izzy"),
    "Amelia": ("Millie",), "Abigail": ("Abby",), "Anthony": ("Tony",), "Patrick": ("Paddy", "Pat"), "Stephen": ("Steve",),
    "Steven": ("Steve",), "Richard": ("Rick", "Richie"), "Andrew": ("Andy",), "Deborah": ("Debbie",), "Susan": ("Sue",),
    "Oluwaseun": ("Seun",), "Oluwatobi": ("Tobi",), "Temitope": ("Tope", "Temi"), "Chukwuemeka": ("Emeka",),
    "Katarzyna": ("Kasia",), "Małgorzata": ("Gosia",), "Jakub": ("Kuba",), "Aleksander": ("Olek",), "Wojciech": ("Wojtek",),
    "Abdirahman": ("Abdi",), "Theodore": ("Theo", "Teddy"), "Harrison": ("Harry",), "Archibald": ("Archie",),
    "Eleanor": ("Ellie", "Nell"), "Sophia": ("Sophie", "Sofia"), "Isaac": ("Zak",), "Zachary": ("Zach", "Zak"),
    "Jacob": ("Jake",), "Joshua": ("Josh",), "Nathaniel": ("Nate", "Nat"), "Alfred": ("Alfie",), "Kayden": ("Caden",),
    "Aiden": ("Aidan",), "Lewis": ("Louis",), "Sean": ("Shaun",), "Yusuf": ("Yousef", "Joseph"), "Ibrahim": ("Ebrahim",),
    "George": ("Georgie",), "Arthur": ("Art", "Artie"), "Olivia": ("Liv", "Livvy"), "Florence": ("Flo", "Florrie"),
    "Evelyn": ("Evie",), "Matilda": ("Tilly", "Tilda"), "Penelope": ("Penny",), "Emily": ("Em", "Emmy"),
    "Sophie": ("Soph", "Sophia"), "Danielle": ("Dani",), "Natalie": ("Nat", "Nathalie"), "Kimberley": ("Kim",),
    "Stephanie": ("Steph",), "Christine": ("Chris", "Chrissie"), "Patricia": ("Pat", "Trish"), "Jacqueline": ("Jackie",),
    "Kathryn": ("Kath", "Kate"), "Emmanuel": ("Manny", "Emanuel"), "Aaliyah": ("Aliyah",), "Jasmine": ("Jasmin", "Yasmin"),
    "Layla": ("Leila", "Laila"), "Zara": ("Zarah",), "Maya": ("Mya", "Maia"), "Isla": ("Islay",), "Lily": ("Lilly", "Lillie"),
    "Freya": ("Freja",), "Grace": ("Gracie",), "Millie": ("Milly",), "Ellie": ("Elly",), "Mohammad": ("Mohammed",),
    "Hussain": ("Hussein", "Husain"), "Hassan": ("Hasan",), "Ahmed": ("Ahmad",), "Umar": ("Omar",), "Zainab": ("Zaynab",),
    "Maryam": ("Mariam",), "Khadija": ("Khadijah",), "Ayesha": ("Aisha",), "Mahnoor": ("Mahnur",), "Callum": ("Cal", "Calum"),
    "Connor": ("Conor",), "Kieran": ("Ciaran",), "Rhys": ("Reece",), "Jamie": ("Jay",), "Reuben": ("Ruben",),
    "Tyler": ("Ty",), "Samantha": ("Sammy", "Sam"), "Nicola": ("Nicky", "Nikki"), "Joanne": ("Jo",), "Louise": ("Lou",),
    "Rachel": ("Rach",), "Helen": ("Nell",), "Claire": ("Clare",), "Hayley": ("Haley",), "Kelly": ("Kel",),
    "Oluwadamilola": ("Dami", "Damilola"), "Ayomide": ("Ayo",), "Chiamaka": ("Amaka",), "Folake": ("Fola",),
    "Kwabena": ("Kobby",), "Adebayo": ("Bayo",), "Olumide": ("Mide",), "Tunde": ("Babatunde",), "Femi": ("Oluwafemi",),
    "Mateusz": ("Mati",), "Zuzanna": ("Zuzia",), "Aleksandra": ("Ola",), "Agnieszka": ("Aga",), "Łukasz": ("Lukasz",),
    "Michał": ("Michal",), "Ionuț": ("Ionut",), "Mikołaj": ("Mikolaj",), "João": ("Joao",), "José": ("Jose",),
}

ETHNICITY_MIXED = "MOTH"


# ------------------------------------------------------------------ records


@dataclass(slots=True)
class GeneratedRecord:
    """One person row to be written, and the truth about it (never written to the searched tables)."""

    record: PersonRecord
    entity: int  # the real person this row is about
    household: int
    role: str  # adult or child
    ethnicity: str
    twin_group: int = 0  # twins share a non-zero number
    errors: tuple[str, ...] = ()  # for a duplicate row: what was done to it
    town: str = "London"


def _zipf(n: int, s: float = 0.9) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank + 2) ** s for rank in range(n)))


class _Picker:
    """Weighted choice from a fixed list, cumulative weights computed once."""

    def __init__(self, items: Sequence, cum_weights: Sequence[float] | None = None):
        self.items = list(items)
        self.cum = list(cum_weights) if cum_weights is not None else _zipf(len(self.items))

    def __call__(self, rng: random.Random):
        return rng.choices(self.items, cum_weights=self.cum)[0]


def _name(value: str) -> str:
    return value.replace("_", " ")


class _Heritage:
    def __init__(self, key: str, spec: dict):
        self.key = key
        self.ethnicity = spec["ethnicity"]
        self.boys, self.girls = _Picker(spec["boys"]), _Picker(spec["girls"])
        self.men, self.women = _Picker(spec["men"]), _Picker(spec["women"])
        self.surnames = _Picker(spec["surnames"], _zipf(len(spec["surnames"]), 1.0))
        self.long_tail = key in ("british", "west_african", "eastern_european", "caribbean")

    def given(self, rng: random.Random, sex: str, child: bool) -> str:
        picker = (self.boys if sex == "M" else self.girls) if child else (self.men if sex == "M" else self.women)
        return _name(picker(rng))

    def surname(self, rng: random.Random) -> str:
        # A third of British-style surnames come from a long tail, as in life (the top 500 surnames
        # cover about half of England); the tail is made from real-looking parts.
        if self.long_tail and rng.random() < 0.35:
            return _tail_surname(rng, self.key)
        return _name(self.surnames(rng))


_TAIL_PARTS = {
    "british": (_words("""Ash Brad Carl Dal Hart Kings Lang Mar North Ox Pen Ran Shel Thorn Wal Whit Wood Har Bur Ed Fair Green
        Hol Mel Ros Stan Wen Al Bell Black Brook Chat Cres Den Elm Fen Gold Hay Ing Kel Lin Mid New Pres Red Sand Stock
        Ted Ux War Win Yar Ather Bick Cath Dray Ever Farn Gis"""),
               _words("""ley ton field wood worth by ham ford well more dale stone bury cott hurst low man er son ridge land
        wick stead sey den combe thwaite shaw croft gate""")),
    "caribbean": (_words("Mc Mac Fitz St"), _words("Farlane Intosh Gregor Pherson Lean Kay Kenzie Donald Gerald Clair Hilaire")),
    "west_african": (_words("Ade Olu Oye Aki Ola Ogun Afo Ayo Bami Femi Kola Oni Ige Oke Nwa Chi Obi Eze Uche Ike"),
                     _words("bayo kunle wale yemi tunde lade sola dipe wumi labi nde kwu nna oma ike buike jiofor dozie")),
    "eastern_european": (_words("Kowal Nowic Wis Lewan Zielin Szyman Mazur Krawc Grabow Pawlow Michal Jankow Sobc Wrob Sikor"),
                         _words("ski czyk iak ewski owicz escu eanu enko uk ov")),
}


def _tail_surname(rng: random.Random, heritage: str) -> str:
    first, second = _TAIL_PARTS[heritage]
    return rng.choice(first) + rng.choice(second)


def _valid_nhs_number(rng: random.Random, used: set[int]) -> str:
    while True:
        first_nine = f"{rng.randint(400_000_000, 799_999_999)}"
        check = nhs_number_check_digit(first_nine)
        if check is None:
            continue
        value = int(first_nine + str(check))
        if value not in used:
            used.add(value)
            return first_nine + str(check)


def _valid_upn(rng: random.Random, used: set[str], birth_year: int) -> str:
    while True:
        body = f"{rng.choice((208, 209, 210, 211, 316, 204, 205)):03d}{rng.randint(1000, 7999):04d}{(birth_year + 4) % 100:02d}{rng.randint(0, 999):03d}"
        upn = upn_check_letter(body) + body
        if upn not in used:
            used.add(upn)
            return upn


@dataclass
class _Place:
    line: str
    postcode: str


class _Addresses:
    """Postcodes hold ~15 households on one street, as in the UK; houses are numbered on it."""

    def __init__(self, rng: random.Random, households: int):
        self.rng = rng
        count = max(50, households // 12)
        districts = _Picker(_DISTRICTS, _zipf(len(_DISTRICTS), 0.6))
        self.postcodes: list[tuple[str, str]] = []
        seen = set()
        while len(self.postcodes) < count:
            district = districts(rng)
            code = f"{district} {rng.randint(0, 9)}{rng.choice(_UNIT_LETTERS)}{rng.choice(_UNIT_LETTERS)}"
            if code in seen:
                continue
            seen.add(code)
            street = f"{_name(rng.choice(_STREET_STEMS))} {rng.choice(_STREET_KINDS)}"
            self.postcodes.append((code, street))

    def new(self) -> _Place:
        code, street = self.rng.choice(self.postcodes)
        number = self.rng.randint(1, 180)
        if self.rng.random() < 0.25:
            return _Place(f"Flat {self.rng.randint(1, 40)}, {number} {street}", code)
        return _Place(f"{number} {street}", code)


# ------------------------------------------------------------------ errors


def _keyboard_typo(value: str, rng: random.Random) -> str:
    """One slip: a letter replaced, dropped, doubled, or two neighbours swapped."""
    letters = list(value)
    positions = [i for i, c in enumerate(letters) if c.isalpha()]
    if len(positions) < 3:
        return value
    i = rng.choice(positions[1:])  # the first letter is rarely the one mistyped
    kind = rng.random()
    if kind < 0.35:
        letters[i] = rng.choice(string.ascii_lowercase)
    elif kind < 0.6:
        del letters[i]
    elif kind < 0.8:
        letters.insert(i, letters[i])
    elif i + 1 < len(letters) and letters[i + 1].isalpha():
        letters[i], letters[i + 1] = letters[i + 1], letters[i]
    else:
        letters[i] = rng.choice("aeiou")
    out = "".join(letters)
    return out[:1].upper() + out[1:] if out else value


def _strip_accents(value: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c)).replace("ł", "l").replace("ı", "i")


def _first(value: str) -> str:
    return value.split(" ")[0]


Error = Callable[[PersonRecord, random.Random, "_Context"], PersonRecord | None]


@dataclass
class _Context:
    addresses: _Addresses
    heritage: _Heritage


def _e_given_typo(r, rng, ctx):
    typed = _keyboard_typo(r.given_name, rng)
    return replace(r, given_name=typed) if typed != r.given_name else None


def _e_family_typo(r, rng, ctx):
    typed = _keyboard_typo(r.family_name, rng)
    return replace(r, family_name=typed) if typed != r.family_name else None


def _e_nickname(r, rng, ctx):
    options = NICKNAMES.get(_first(r.given_name))
    return replace(r, given_name=rng.choice(options)) if options else None


def _e_hyphenated(r, rng, ctx):
    other = ctx.heritage.surname(rng)
    if other == r.family_name or "-" in r.family_name:
        return None
    joined = f"{r.family_name}-{other}" if rng.random() < 0.6 else f"{other}-{r.family_name}"
    return replace(r, family_name=joined)


def _e_surname_changed(r, rng, ctx):
    other = ctx.heritage.surname(rng)
    return replace(r, family_name=other) if other != r.family_name else None


def _e_swapped(r, rng, ctx):
    if not r.given_name or not r.family_name:
        return None
    return replace(r, given_name=r.family_name, family_name=_first(r.given_name))


def _e_initial(r, rng, ctx):
    return replace(r, given_name=r.given_name[0]) if r.given_name else None


def _e_dob_swapped(r, rng, ctx):
    d = r.date_of_birth
    if not d or d.day > 12 or d.day == d.month:
        return None
    return replace(r, date_of_birth=d.replace(day=d.month, month=d.day))


def _e_dob_digit(r, rng, ctx):
    d = r.date_of_birth
    if not d:
        return None
    digits = list(f"{d.day:02d}{d.month:02d}{d.year:04d}")
    for _ in range(20):
        i = rng.choice((0, 1, 2, 3, 6, 7))  # a day, month or the year's last two digits
        trial = digits.copy()
        trial[i] = rng.choice([c for c in "0123456789" if c != digits[i]])
        s = "".join(trial)
        try:
            new = dt.date(int(s[4:]), int(s[2:4]), int(s[:2]))
        except ValueError:
            continue
        if new <= REFERENCE_DATE:
            return replace(r, date_of_birth=new)
    return None


def _e_dob_one_day(r, rng, ctx):
    d = r.date_of_birth
    return replace(r, date_of_birth=d + dt.timedelta(days=rng.choice((-1, 1)))) if d else None


def _e_dob_year(r, rng, ctx):
    d = r.date_of_birth
    if not d:
        return None
    try:
        new = d.replace(year=d.year + rng.choice((-1, 1, -1, 1, -10, 10)))
    except ValueError:
        return None
    return replace(r, date_of_birth=new) if new <= REFERENCE_DATE else None


def _e_dob_missing(r, rng, ctx):
    return replace(r, date_of_birth=None) if r.date_of_birth else None


def _e_postcode_typo(r, rng, ctx):
    if len(r.postcode) < 6:
        return None
    chars = list(r.postcode)
    i = rng.choice([i for i, c in enumerate(chars) if c != " " and i > 0])
    pool = string.digits if chars[i].isdigit() else _UNIT_LETTERS
    chars[i] = rng.choice([c for c in pool if c != chars[i]])
    return replace(r, postcode="".join(chars))


def _e_postcode_sector(r, rng, ctx):
    if len(r.postcode) < 6:
        return None
    return replace(r, postcode=r.postcode[:-2], address_line="" if rng.random() < 0.5 else r.address_line)


def _e_moved(r, rng, ctx):
    place = ctx.addresses.new()
    return replace(r, postcode=place.postcode, address_line=place.line)


def _e_missing_fields(r, rng, ctx):
    choice = rng.random()
    if choice < 0.4 and (r.postcode or r.address_line):
        return replace(r, postcode="", address_line="")
    if choice < 0.7 and r.sex:
        return replace(r, sex="U")
    if r.nhs_number or r.upn:
        return replace(r, nhs_number="", upn="")
    return None


def _e_middle_name(r, rng, ctx):
    if " " in r.given_name:
        return replace(r, given_name=_first(r.given_name))
    return replace(r, given_name=f"{r.given_name} {ctx.heritage.given(rng, r.sex or 'M', True)}")


def _e_accents_case(r, rng, ctx):
    plain = replace(r, given_name=_strip_accents(r.given_name), family_name=_strip_accents(r.family_name))
    if plain != r:
        return plain
    return replace(r, family_name=r.family_name.upper())


ERRORS: dict[str, tuple[float, Error]] = {
    # name: (relative frequency among errors, function)
    "given_typo": (10, _e_given_typo),
    "family_typo": (10, _e_family_typo),
    "nickname": (10, _e_nickname),
    "hyphenated": (4, _e_hyphenated),
    "surname_changed": (5, _e_surname_changed),
    "swapped": (4, _e_swapped),
    "initial": (4, _e_initial),
    "dob_swapped": (6, _e_dob_swapped),
    "dob_digit": (5, _e_dob_digit),
    "dob_one_day": (3, _e_dob_one_day),
    "dob_year": (4, _e_dob_year),
    "dob_missing": (4, _e_dob_missing),
    "postcode_typo": (4, _e_postcode_typo),
    "postcode_sector": (3, _e_postcode_sector),
    "moved": (10, _e_moved),
    "missing_fields": (6, _e_missing_fields),
    "middle_name": (3, _e_middle_name),
    "accents_case": (2, _e_accents_case),
}
_ERROR_NAMES = list(ERRORS)
_ERROR_CUM = list(itertools.accumulate(w for w, _ in ERRORS.values()))


def error_context(seed: int, *, heritage: str = "british") -> _Context:
    """What the errors need besides the record (a pool of addresses to move to, surnames to marry
    into), for applying `ERRORS` one at a time, as the tests do."""
    return _Context(_Addresses(random.Random(seed), 2_000), _Heritage(heritage, HERITAGES[heritage]))


def apply_error(name: str, record: PersonRecord, rng: random.Random, ctx: _Context) -> PersonRecord | None:
    """One named error applied to a record; None when it cannot apply (no date to swap…)."""
    return ERRORS[name][1](record, rng, ctx)


def _with_errors(record: PersonRecord, rng: random.Random, ctx: _Context, count: int) -> tuple[PersonRecord, tuple[str, ...]]:
    applied: list[str] = []
    tries = 0
    while len(applied) < count and tries < 20:
        tries += 1
        name = rng.choices(_ERROR_NAMES, cum_weights=_ERROR_CUM)[0]
        if name in applied:
            continue
        changed = apply_error(name, record, rng, ctx)
        if changed is not None and changed != record:
            record = changed
            applied.append(name)
    return record, tuple(applied)


def _error_count(rng: random.Random) -> int:
    x = rng.random()
    return 1 if x < 0.5 else 2 if x < 0.85 else 3


# ------------------------------------------------------------------ households


class _World:
    def __init__(self, rng: random.Random, count: int, twin_rate: float):
        self.rng = rng
        self.twin_rate = twin_rate
        self.heritages = {k: _Heritage(k, spec) for k, spec in HERITAGES.items()}
        self.heritage_pick = _Picker(list(self.heritages), list(itertools.accumulate(s["share"] for s in HERITAGES.values())))
        self.addresses = _Addresses(rng, count // 2)
        self.nhs_used: set[int] = set()
        self.upn_used: set[str] = set()
        self.next_entity = 1
        self.next_twin = 1

    def _dob(self, age: float) -> dt.date:
        return REFERENCE_DATE - dt.timedelta(days=int(age * 365.25))

    def _person(self, *, given, family, dob, sex, place, heritage, ethnicity, household, role, twin=0, middle=True) -> GeneratedRecord:
        rng = self.rng
        if middle and rng.random() < 0.3:
            given = f"{given} {heritage.given(rng, sex, role == 'child')}"
        child = role == "child"
        nhs = _valid_nhs_number(rng, self.nhs_used) if rng.random() < (0.7 if child else 0.45) else ""
        age = (REFERENCE_DATE - dob).days / 365.25
        upn = _valid_upn(rng, self.upn_used, dob.year) if child and 4 <= age < 18 and rng.random() < 0.6 else ""
        other: tuple[tuple[str, str], ...] = ()
        if rng.random() < 0.03:
            other = ((given.split(" ")[0], heritage.surname(rng)),)  # a previous name recorded as an alias
        record = PersonRecord(
            given_name=given, family_name=family, other_names=other, date_of_birth=dob, sex=sex,
            postcode=place.postcode, address_line=place.line, nhs_number=nhs, upn=upn,
        )
        entity = self.next_entity
        self.next_entity += 1
        return GeneratedRecord(record, entity, household, role, ethnicity, twin)

    def household(self, number: int) -> tuple[list[GeneratedRecord], "_Heritage"]:
        """1. Size 1–6. 2. One or two adults (a couple may have two surnames, and the children the
        father's, the mother's or both, hyphenated). 3. Children spaced a year or more apart, with
        twins at `twin_rate` per birth; never two children of one name."""
        rng = self.rng
        heritage = self.heritages[self.heritage_pick(rng)]
        partner_heritage = heritage if rng.random() < 0.88 else self.heritages[self.heritage_pick(rng)]
        ethnicity = heritage.ethnicity if partner_heritage is heritage else ETHNICITY_MIXED
        size = rng.choices((1, 2, 3, 4, 5, 6), cum_weights=(18, 38, 60, 80, 92, 100))[0]
        place = self.addresses.new()
        people: list[GeneratedRecord] = []
        surname = heritage.surname(rng)
        if size == 1:
            sex = rng.choice("MF")
            age = rng.uniform(18, 85)
            return [self._person(given=heritage.given(rng, sex, False), family=surname, dob=self._dob(age),
                                 sex=sex, place=place, heritage=heritage, ethnicity=heritage.ethnicity,
                                 household=number, role="adult")], heritage
        two_adults = size >= 3 and rng.random() < 0.6 or size == 2 and rng.random() < 0.5
        mother_age = rng.uniform(22, 55)
        mother_surname = surname
        if two_adults:
            father_surname = surname
            if rng.random() < 0.3:
                mother_surname = partner_heritage.surname(rng)  # kept her own name
            people.append(self._person(given=heritage.given(rng, "M", False), family=father_surname,
                                       dob=self._dob(mother_age + rng.uniform(-3, 8)), sex="M",
                                       place=place, heritage=heritage, ethnicity=heritage.ethnicity, household=number, role="adult"))
        people.append(self._person(given=partner_heritage.given(rng, "F", False), family=mother_surname,
                                   dob=self._dob(mother_age), sex="F", place=place, heritage=partner_heritage,
                                   ethnicity=partner_heritage.ethnicity, household=number, role="adult"))
        children_surname = surname
        if two_adults and mother_surname != surname and rng.random() < 0.3:
            children_surname = f"{mother_surname}-{surname}"
        elif not two_adults and rng.random() < 0.2:
            children_surname = heritage.surname(rng)  # a father living elsewhere
        used_names: set[str] = set()
        oldest = min(mother_age - 17, 17.9)
        age = rng.uniform(max(0.0, oldest - 6), max(0.1, oldest))
        while len(people) < size and age >= 0:
            births = 2 if rng.random() < self.twin_rate and size - len(people) >= 2 else 1
            dob = self._dob(age)
            twin = 0
            if births == 2:
                twin = self.next_twin
                self.next_twin += 1
            first_sex = rng.choice("MF")
            for b in range(births):
                sex = first_sex if b == 0 or rng.random() < 0.66 else ("F" if first_sex == "M" else "M")
                for _ in range(20):
                    given = heritage.given(rng, sex, True)
                    if given not in used_names:
                        break
                used_names.add(given)
                people.append(self._person(given=given, family=children_surname, dob=dob, sex=sex, place=place,
                                           heritage=heritage, ethnicity=ethnicity, household=number, role="child", twin=twin))
            age -= rng.uniform(1.0, 5.0)
        return people, heritage


def generate_population(count: int, seed: int, *, duplicate_rate: float = 0.1, twin_rate: float = 0.04) -> list[GeneratedRecord]:
    """`count` person records from `seed`: households, then duplicates of some people, shuffled.

    1. Households are made until there are enough people; about `duplicate_rate` of people get a
       second (sometimes a third) record carrying 1–3 errors (`ERRORS`), made from the same random
       stream, so the truth is exact.
    2. The list is cut to `count` and shuffled, so a person's records are not neighbours.
    """
    rng = random.Random(seed)
    world = _World(rng, count, twin_rate)
    records: list[GeneratedRecord] = []
    number = 0
    while len(records) < count:
        number += 1
        people, heritage = world.household(number)
        ctx = _Context(world.addresses, heritage)
        for person in people:
            records.append(person)
            if rng.random() < duplicate_rate:
                copies = 1 if rng.random() < 0.8 else 2
                for _ in range(copies):
                    changed, errors = _with_errors(person.record, rng, ctx, _error_count(rng))
                    if rng.random() < 0.7:  # most duplicates came from an agency without the NHS number
                        changed = replace(changed, nhs_number="")
                    records.append(replace(person, record=changed, errors=errors or ("none",)))
    del records[count:]
    rng.shuffle(records)
    return records


def generate_queries(records: Sequence[GeneratedRecord], count: int, seed: int, *, errors: int | None = None) -> list[tuple[PersonRecord, int, tuple[str, ...]]]:
    """Search queries for measuring: (query, the real person's entity id, errors applied).

    Each query is an original record of a randomly chosen person carrying `errors` errors — or, by
    default, 1, 2 or 3 as the duplicates do (50 / 35 / 15 %) —, all from `seed`, which must differ
    from anything a test or the code was tuned on."""
    rng = random.Random(seed)
    originals = [r for r in records if not r.errors]
    world_rng = random.Random(seed + 1)
    ctx = _Context(_Addresses(world_rng, max(100, len(records) // 2)), _Heritage("british", HERITAGES["british"]))
    out = []
    for _ in range(count):
        person = rng.choice(originals)
        query, applied = _with_errors(person.record, rng, ctx, errors or _error_count(rng))
        out.append((query, person.entity, applied))
    return out


# ------------------------------------------------------------------ writing


def write_people(records: Sequence[GeneratedRecord], *, batch_size: int = 20_000,
                 progress: Callable[[int, int], None] | None = None) -> list[int]:
    """Insert the records as Person (+ Address, PersonName) rows; return the new person ids in order.

    The fast path: ids are allocated here (after the highest in the table), rows are built as plain
    tuples and sent with `executemany` on Django's connection, one transaction per batch — Django's
    bulk_create spends ten times longer compiling than the database spends inserting. Columns come
    from the models' `_meta` (defaults included), values are adapted by the backend's own `ops`, and
    the id sequences are reset afterwards (PostgreSQL), so the same code serves both databases.
    No audit rows: this is test data for a scratch database, made by a command, not case data
    entered by anyone (the command refuses a database that already holds people)."""
    import functools

    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.db.models import Max

    from openmash.core import clock
    from openmash.core.bulk import insert_rows
    from openmash.people.identifiers import normalise_name
    from openmash.people.models import Address, Person, PersonName

    norm = functools.lru_cache(maxsize=100_000)(normalise_name)
    now = clock.now()
    if connection.vendor == "sqlite":
        # A 256 MB page cache for this connection: the indexes of a million rows stop fitting in
        # SQLite's default 2 MB and every insert would go back to the disk for index pages.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")
    ids: list[int] = []
    next_id = {model: (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1 for model in (Person, Address, PersonName)}
    for start in range(0, len(records), batch_size):
        batch = records[start:start + batch_size]
        people, addresses, names = [], [], []
        for g in batch:
            r = g.record
            pid = next_id[Person]
            next_id[Person] += 1
            ids.append(pid)
            people.append(dict(
                id=pid, created_at=now, given_name=r.given_name, family_name=r.family_name,
                given_name_norm=norm(r.given_name), family_name_norm=norm(r.family_name), date_of_birth=r.date_of_birth,
                sex=r.sex or "U", ethnicity=g.ethnicity, nhs_number=r.nhs_number, upn=r.upn,
            ))
            if r.postcode or r.address_line:
                addresses.append(dict(id=next_id[Address], created_at=now, person_id=pid,
                                      line_1=r.address_line or "(address not given)", town=g.town, postcode=r.postcode))
                next_id[Address] += 1
            for given, family in r.other_names:
                names.append(dict(id=next_id[PersonName], person_id=pid, kind=PersonName.Kind.PREVIOUS.value,
                                  given_name=given, family_name=family, given_name_norm=norm(given),
                                  family_name_norm=norm(family)))
                next_id[PersonName] += 1
        with transaction.atomic():
            for model, rows in ((Person, people), (Address, addresses), (PersonName, names)):
                if rows:
                    insert_rows(model, rows, with_pk=True)
        if progress:
            progress(min(start + batch_size, len(records)), len(records))
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Person, Address, PersonName]):
            cursor.execute(statement)
    return ids


TRUTH_COLUMNS = ("person_id", "entity_id", "household_id", "role", "twin_group", "duplicate", "errors")


def truth_rows(records: Sequence[GeneratedRecord], ids: Sequence[int]) -> Iterator[tuple]:
    for g, pk in zip(records, ids):
        yield (pk, g.entity, g.household, g.role, g.twin_group, int(bool(g.errors)), ";".join(g.errors))


def write_truth(path, records: Sequence[GeneratedRecord], ids: Sequence[int]) -> None:
    """The truth as CSV: rows with one entity_id are the same real person; rows sharing a
    household_id live together (siblings, parents); a non-zero twin_group marks twins."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(TRUTH_COLUMNS)
        writer.writerows(truth_rows(records, ids))


def read_truth(path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


__all__ = [
    "ERRORS", "GeneratedRecord", "HERITAGES", "NICKNAMES", "REFERENCE_DATE", "TRUTH_COLUMNS",
    "apply_error", "error_context", "generate_population", "generate_queries", "read_truth", "write_people", "write_truth",
]
